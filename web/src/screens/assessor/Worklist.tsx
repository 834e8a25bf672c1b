// The assessor's work list (GET /api/v1/worklist, composed by the gateway): the cases to (re)assess, those
// waiting for someone else, and the unread messages. A part that did not arrive is named as such.
import { api } from "../../api/client";
import { authorized, session } from "../../auth";
import { ProblemBox } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, type TextKey, useT } from "../../i18n";
import { Link } from "../../router";
import { useStore } from "../../store";
import { isOverdue, type ToDo, type Waiting, type Worklist as WorklistAnswer } from "./data";
import "./assessor.css";

export const caseHref = (id: string | undefined) => `/beoordelingen/dossier?id=${encodeURIComponent(id ?? "")}`;

export function Worklist() {
  const t = useT();
  const current = useStore(session);
  const { data, problem, reload } = useLoad(() => authorized(() => api.GET("/api/v1/worklist")));
  const name = current.status === "authenticated" ? (current.account.full_name ?? "") : "";
  return (
    <Page title={t("assessor.worklist.title")}>
      {name && <p>{t("home.greeting", { name })}</p>}
      {problem ? (
        <ProblemBox problem={problem} />
      ) : !data ? (
        <p aria-busy="true">{t("app.loading")}</p>
      ) : (
        <Lists data={data} retry={reload} />
      )}
    </Page>
  );
}

function Lists({ data, retry }: { data: WorklistAnswer; retry: () => void }) {
  const t = useT();
  return (
    <>
      {data.missing.length > 0 && (
        <div class="notice" role="status" data-field="missing">
          <p class="problem-title">{t("assessor.missing.title")}</p>
          <ul>
            {data.missing.map((part) => (
              <li key={part}>{t(`assessor.missing.${part}` as TextKey)}</li>
            ))}
          </ul>
          <button type="button" class="button" onClick={retry}>
            {t("home.missing.retry")}
          </button>
        </div>
      )}
      {data.messages && (
        <p data-field="messages">{t("assessor.worklist.messages", { count: data.messages.unread ?? 0 })}</p>
      )}
      <section aria-labelledby="todo-title">
        <h2 id="todo-title">{t("assessor.worklist.todo")}</h2>
        {data.to_do === null ? (
          <p class="unavailable">{t("assessor.missing.to_do")}</p>
        ) : (data.to_do.items ?? []).length === 0 ? (
          <p>{t("assessor.worklist.todo.none")}</p>
        ) : (
          <CaseTable items={data.to_do.items ?? []} kind="todo" caption={t("assessor.worklist.todo")} />
        )}
      </section>
      <section aria-labelledby="waiting-title">
        <h2 id="waiting-title">{t("assessor.worklist.waiting")}</h2>
        {data.waiting === null ? (
          <p class="unavailable">{t("assessor.missing.waiting")}</p>
        ) : (data.waiting.items ?? []).length === 0 ? (
          <p>{t("assessor.worklist.waiting.none")}</p>
        ) : (
          <CaseTable items={data.waiting.items ?? []} kind="waiting" caption={t("assessor.worklist.waiting")} />
        )}
      </section>
    </>
  );
}

function CaseTable({ items, kind, caption }: { items: (ToDo | Waiting)[]; kind: "todo" | "waiting"; caption: string }) {
  const t = useT();
  return (
    <div class="table-scroll">
      <table class="as-cases">
        <caption class="as-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("assessor.worklist.jobcoach")}</th>
            <th scope="col">{kind === "todo" ? t("assessor.worklist.action") : t("assessor.worklist.waiting_for")}</th>
            <th scope="col">{t("assessor.worklist.due")}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => {
            const late = isOverdue(item.due_on);
            const what =
              "action" in item && item.action
                ? t(`assessor.action.${item.action}` as TextKey)
                : "waiting_for" in item && item.waiting_for
                  ? t(`assessor.waiting.${item.waiting_for}` as TextKey)
                  : "";
            return (
              <tr key={item.id} data-case={item.id} class={late ? "as-late" : undefined}>
                <td>
                  <Link href={caseHref(item.id)}>{item.jobcoach_name ?? t("assessor.case.unnamed")}</Link>
                </td>
                <td>{what}</td>
                <td data-field="due">
                  {item.due_on ? formatDate(item.due_on) : ""}
                  {late && <strong class="as-overdue"> {t("assessor.overdue")}</strong>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
