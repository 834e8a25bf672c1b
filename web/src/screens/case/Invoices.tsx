// The jobcoach's invoices (issue 13): number, date, what for, amount ("€ 242,00"), state in Dutch, and the
// invoice (and a cancelled one's credit note) as PDF, fetched with the token and saved as a real file.
import { useState } from "preact/hooks";
import { api, type Schemas, type Shown } from "../../api/client";
import { authorized } from "../../auth";
import { ProblemBox } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, formatMoney, type TextKey, useT } from "../../i18n";
import { download } from "../../components/files";
import "./case.css";

type Invoice = Schemas["Invoice"];

export function InvoicesScreen() {
  const t = useT();
  const { data, problem } = useLoad(() =>
    authorized(() => api.GET("/api/v1/invoices", { params: { query: { page_size: 100 } } })),
  );
  const [shown, setShown] = useState<Shown | null>(null);
  const [status, setStatus] = useState("");
  const save = async (fetchPdf: () => ReturnType<typeof download>, file: string) => {
    const answer = await download(fetchPdf, file);
    setShown(answer.ok ? null : answer.problem);
    setStatus(answer.ok ? t("invoices.downloaded", { file }) : "");
  };
  const items = data?.items ?? [];
  return (
    <Page title={t("invoices.title")}>
      <ProblemBox problem={problem ?? shown} />
      {!data ? (
        !problem && <p aria-busy="true">{t("app.loading")}</p>
      ) : items.length === 0 ? (
        <p>{t("invoices.none")}</p>
      ) : (
        <ul class="case-invoices">
          {items.map((invoice) => (
            <InvoiceItem key={invoice.id} invoice={invoice} save={save} />
          ))}
        </ul>
      )}
      <p class="small" role="status">
        {status}
      </p>
    </Page>
  );
}

function InvoiceItem({ invoice, save }: {
  invoice: Invoice;
  save: (fetchPdf: () => ReturnType<typeof download>, file: string) => Promise<void>;
}) {
  const t = useT();
  const id = invoice.id;
  const number = invoice.number;
  const state = invoice.state;
  const credit = invoice.credit_note;
  return (
    <li class={`case-invoice case-invoice-${state}`} data-invoice={number}>
      <h2 class="case-invoice-title">{t(`invoices.kind.${invoice.kind}` as TextKey)}</h2>
      <dl>
        <div>
          <dt>{t("invoices.number")}</dt>
          <dd>{number}</dd>
        </div>
        <div>
          <dt>{t("invoices.date")}</dt>
          <dd>{formatDate(invoice.issued_on ?? "")}</dd>
        </div>
        <div>
          <dt>{t("invoices.amount")}</dt>
          <dd data-field="amount">{formatMoney(invoice.gross?.amount ?? "0", invoice.gross?.currency ?? "EUR")}</dd>
        </div>
        <div>
          <dt>{t("invoices.state")}</dt>
          <dd data-field="state">
            <span class={`case-state-${state}`}>{t(`invoices.state.${state}` as TextKey)}</span>
          </dd>
        </div>
        {state === "open" && invoice.due_on && (
          <div>
            <dt>{t("invoices.due")}</dt>
            <dd>{formatDate(invoice.due_on)}</dd>
          </div>
        )}
      </dl>
      <p>
        <button
          type="button"
          class="button"
          onClick={() =>
            void save(
              () => authorized(() => api.GET("/api/v1/invoices/{invoice_id}/pdf", { params: { path: { invoice_id: id } }, parseAs: "blob" })),
              `factuur-${number}.pdf`,
            )
          }
        >
          {t("invoices.pdf", { number })}
        </button>
      </p>
      {credit?.number && (
        <p>
          <button
            type="button"
            class="button"
            onClick={() =>
              void save(
                () =>
                  authorized(() =>
                    api.GET("/api/v1/invoices/{invoice_id}/credit-note/pdf", { params: { path: { invoice_id: id } }, parseAs: "blob" }),
                  ),
                `creditnota-${credit.number ?? ""}.pdf`,
              )
            }
          >
            {t("invoices.credit_pdf", { number: credit.number })}
          </button>
        </p>
      )}
    </li>
  );
}
