import { useEffect, useState } from "preact/hooks";
import { session } from "../auth";
import { Page } from "../components/Layout";
import { useT } from "../i18n";
import { navigate } from "../router";
import { useStore } from "../store";

// The recovery codes of the enrolment that just happened: in memory, shown once, gone when left.
let pending: string[] | null = null;

export function keepRecoveryCodes(codes: string[]): void {
  pending = [...codes];
}

export function RecoveryCodes() {
  const t = useT();
  const current = useStore(session);
  const [codes] = useState(() => pending);
  const [stored, setStored] = useState(false);
  const email = current.status === "authenticated" ? (current.account.email ?? "") : "";

  useEffect(() => {
    pending = null; // shown now: a reload or a later visit does not show them again
  }, []);

  if (!codes) {
    return (
      <Page title={t("codes.title")}>
        <p>{t("codes.gone")}</p>
      </Page>
    );
  }
  return (
    <Page title={t("codes.title")}>
      <CodesList codes={codes} email={email} />
      <form
        class="no-print"
        onSubmit={(event) => {
          event.preventDefault();
          if (stored) navigate("/", { replace: true });
        }}
      >
        <div class="check">
          <input id="codes-stored" type="checkbox" checked={stored}
            onChange={(event) => setStored(event.currentTarget.checked)} />
          <label for="codes-stored">{t("codes.stored")}</label>
        </div>
        <button type="submit" class="primary" disabled={!stored}>
          {t("codes.continue")}
        </button>
      </form>
    </Page>
  );
}

/** The codes with what they are for, to download as a text file or to print. Also on the login when the
 * account did not load after the app was linked: the codes come only once and must not be lost then. */
export function CodesList({ codes, email }: { codes: string[]; email: string }) {
  const t = useT();
  const [download, setDownload] = useState<string | null>(null);

  useEffect(() => {
    const file = t("codes.file", { email, codes: codes.join("\n") });
    const url = URL.createObjectURL(new Blob([file], { type: "text/plain;charset=utf-8" }));
    setDownload(url);
    return () => URL.revokeObjectURL(url);
  }, []);

  return (
    <>
      <p>{t("codes.intro")}</p>
      <p class="notice">
        <strong>{t("codes.once")}</strong>
      </p>
      <h2 class="label" id="codes-label">
        {t("codes.list")}
      </h2>
      <ol class="codes" aria-labelledby="codes-label">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <p class="actions no-print">
        {download && (
          <a class="button" href={download} download="herstelcodes-register-jobcoach.txt">
            {t("codes.download")}
          </a>
        )}
        <button type="button" class="button" onClick={() => print()}>
          {t("codes.print")}
        </button>
      </p>
    </>
  );
}
