// The jobcoach's digital certificate: the credential's facts, its PDF (with the QR code) and its JSON file
// (the signed JWT and the credential it carries) as downloads, and the link to its public verification.
import { useState } from "preact/hooks";
import { api, type Shown } from "../../api/client";
import { authorized } from "../../auth";
import { download, saveBlob } from "../../components/files";
import { ProblemBox } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, useT } from "../../i18n";
import { Link } from "../../router";
import "./credentials.css";

export function MyCredentialScreen() {
  const t = useT();
  const { data, problem } = useLoad(() => authorized(() => api.GET("/api/v1/certificates/mine/credential")));
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [failed, setFailed] = useState<Shown | null>(null);

  if (problem?.status === 404) {
    return (
      <Page title={t("credentials.title")}>
        <p>{t("credentials.none")}</p>
        <p><Link href="/">{t("credentials.to_home")}</Link></p>
      </Page>
    );
  }
  if (problem) {
    return (
      <Page title={t("credentials.title")}>
        <ProblemBox problem={problem} />
      </Page>
    );
  }
  if (!data) return <Page title={t("credentials.title")}><p aria-busy="true">{t("app.loading")}</p></Page>;

  const number = data.certificate_number;
  const pdf = async () => {
    if (busy) return;
    setBusy(true);
    const file = t("credentials.file.pdf", { number });
    const answer = await download(
      () => authorized(() => api.GET("/api/v1/certificates/mine/credential.pdf", { parseAs: "blob" })), file);
    setBusy(false);
    setFailed(answer.ok ? null : answer.problem);
    setStatus(answer.ok ? t("credentials.downloaded", { file }) : "");
  };
  const json = () => {
    const file = t("credentials.file.json", { number });
    const body = JSON.stringify({ jwt: data.jwt, credential: data.credential }, null, 2);
    saveBlob(new Blob([body], { type: "application/json" }), file);
    setStatus(t("credentials.downloaded", { file }));
  };
  const check = new URL(data.verification_url, location.href);

  return (
    <Page title={t("credentials.title")}>
      <p>{t("credentials.intro")}</p>
      <dl class="tile-facts">
        <div>
          <dt>{t("credentials.number")}</dt>
          <dd data-field="certificate_number">{number}</dd>
        </div>
        <div>
          <dt>{t("credentials.valid_from")}</dt>
          <dd>{formatDate(data.valid_from)}</dd>
        </div>
        <div>
          <dt>{t("credentials.valid_until")}</dt>
          <dd data-field="valid_until">{formatDate(data.valid_until)}</dd>
        </div>
      </dl>
      <ProblemBox problem={failed} />
      <div class="credential-downloads">
        <button type="button" class="button primary" aria-disabled={busy ? "true" : undefined} onClick={() => void pdf()}>
          {busy ? t("credentials.download.busy") : t("credentials.download.pdf")}
        </button>
        <button type="button" class="button" onClick={json}>
          {t("credentials.download.json")}
        </button>
      </div>
      <p class="small" role="status">{status}</p>
      <p>
        {check.origin === location.origin ? (
          <Link href={check.pathname + check.search}>{t("credentials.check")}</Link>
        ) : (
          <a href={data.verification_url}>{t("credentials.check")}</a>
        )}
      </p>
      <p class="small">{t("credentials.check.hint")}</p>
    </Page>
  );
}
