// The public verification page (no login): paste or upload a credential, or open it from the PDF's QR code
// (/verifieren?id=<credential id>). The API verifies (signature by kid against the published keys, the
// shape, the status list, the dates) and says why it refuses; the page shows the verdict and what the
// credential states. Nothing pasted is kept in the browser: a credential names a person.
import { useState } from "preact/hooks";
import { api, outcome, type Schemas } from "../../api/client";
import { TextAreaField } from "../../components/fields";
import { ProblemBox, Submit, useSubmit } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, type TextKey, useT } from "../../i18n";
import { usePlace } from "../../router";
import "./credentials.css";

type Verdict = Schemas["Verification"];

export function VerifyScreen() {
  const t = useT();
  const id = usePlace().query.get("id");
  const [text, setText] = useState("");
  const [fileNote, setFileNote] = useState("");
  const [pasted, setPasted] = useState<Verdict | null>(null);
  const byId = useLoad(
    () =>
      id
        ? outcome(() => api.GET("/api/v1/credentials/{credential_id}/verification", { params: { path: { credential_id: id } } }))
        : Promise.resolve({ ok: true as const, data: null }),
    [id],
  );
  const form = useSubmit(
    () => outcome(() => api.POST("/api/v1/credentials/verify", { body: { credential: text.trim() } })),
    (verdict) => setPasted(verdict),
  );
  const readFile = async (file: File | undefined) => {
    if (!file) return;
    setText(await file.text());
    setFileNote(t("verification.file.read", { file: file.name }));
  };
  const shown = pasted ?? byId.data;

  return (
    <Page title={t("verification.title")}>
      <p>{t("verification.intro")}</p>
      {id && byId.problem && (byId.problem.status === 404 ? <p class="notice">{t("verification.not_found")}</p> : <ProblemBox problem={byId.problem} />)}
      {shown && <Result verdict={shown} />}
      <form onSubmit={form.onSubmit} noValidate class="verify-form">
        <ProblemBox problem={form.problem} />
        <TextAreaField name="credential" label={t("verification.paste")} hint={t("verification.paste.hint")} value={text}
          onValue={(value) => { setText(value); setFileNote(""); }} rows={6} problem={form.problem} required />
        <div class="field">
          <label for="verify-file">{t("verification.file")}</label>
          <p class="hint" id="verify-file-hint">{t("verification.file.hint")}</p>
          <input id="verify-file" type="file" accept=".json,.jwt,.txt,application/json,text/plain"
            aria-describedby="verify-file-hint" onChange={(event) => void readFile(event.currentTarget.files?.[0])} />
          <p class="small" role="status">{fileNote}</p>
        </div>
        <Submit busy={form.busy}>{t("verification.submit")}</Submit>
      </form>
      <p class="small verify-offline">
        {t("verification.offline")}{" "}
        <a href="/api/v1/credentials/keys">{t("verification.keys")}</a>
        {" · "}
        <a href="/api/v1/credentials/status/1">{t("verification.status_list")}</a>
      </p>
    </Page>
  );
}

function Result({ verdict }: { verdict: Verdict }) {
  const t = useT();
  const date = (value: string | null) => (value ? formatDate(value) : "–");
  return (
    <section class={`verdict ${verdict.valid ? "verdict-valid" : "verdict-refused"}`} aria-labelledby="verdict-title"
      data-field="verdict">
      <h2 id="verdict-title">{t("verification.result")}</h2>
      <p role="status" class="verdict-state">
        <strong>{verdict.valid ? t("verification.valid") : t("verification.refused")}</strong>
      </p>
      <p data-field="message">{verdict.message}</p>
      <dl class="tile-facts">
        {verdict.reason && (
          <div>
            <dt>{t("verification.reason")}</dt>
            <dd data-field="reason">{t(`verification.reason.${verdict.reason}` as TextKey)}</dd>
          </div>
        )}
        {verdict.holder_name && (
          <div>
            <dt>{t("verification.holder")}</dt>
            <dd data-field="holder">{verdict.holder_name}</dd>
          </div>
        )}
        {verdict.certificate_number && (
          <div>
            <dt>{t("verification.number")}</dt>
            <dd data-field="certificate_number">{verdict.certificate_number}</dd>
          </div>
        )}
        {verdict.valid_from && (
          <div>
            <dt>{t("verification.valid_from")}</dt>
            <dd>{date(verdict.valid_from)}</dd>
          </div>
        )}
        {verdict.valid_until && (
          <div>
            <dt>{t("verification.valid_until")}</dt>
            <dd>{date(verdict.valid_until)}</dd>
          </div>
        )}
        {verdict.issuer_name && (
          <div>
            <dt>{t("verification.issuer")}</dt>
            <dd>{verdict.issuer_name}</dd>
          </div>
        )}
        {verdict.status_as_of && (
          <div>
            <dt>{t("verification.status_as_of")}</dt>
            <dd>{date(verdict.status_as_of)}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}
