import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, outcome, type Schemas, type Shown, WEB_CLIENT } from "../api/client";
import { begin, loadAccount } from "../auth";
import { Field, OtherErrors, ProblemBox, Submit, useSubmit } from "../components/forms";
import { Page } from "../components/Layout";
import { useT } from "../i18n";
import { Link, navigate, usePlace } from "../router";
import { CodesList, keepRecoveryCodes } from "./RecoveryCodes";

type QrProps = { text: string; label: string };

/** The QR code's module (and its encoder) is fetched only when an enrolment needs it. */
function LazyQrCode(props: QrProps) {
  const t = useT();
  const [Qr, setQr] = useState<ComponentType<QrProps> | null>(null);
  useEffect(() => {
    void import("../components/QrCode").then((module) => setQr(() => module.default));
  }, []);
  return Qr ? <Qr {...props} /> : <p>{t("app.loading")}</p>;
}

type Challenge = Schemas["LoginChallenge"];

/** Login in two steps: e-mail and password, then the authenticator's code. The first time the second step
 * links the app: the QR code and the key as text, and the codes answered once (recovery codes). */
export function Login() {
  const [challenge, setChallenge] = useState<{ challenge: Challenge; email: string } | null>(null);
  return challenge ? (
    <SecondStep challenge={challenge.challenge} email={challenge.email} restart={() => setChallenge(null)} />
  ) : (
    <FirstStep onChallenge={(found, email) => setChallenge({ challenge: found, email })} />
  );
}

function FirstStep({ onChallenge }: { onChallenge: (challenge: Challenge, email: string) => void }) {
  const t = useT();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const form = useSubmit(
    () => outcome(() => api.POST("/api/v1/auth/login", { body: { email, password } })),
    (found) => onChallenge(found, email),
  );
  return (
    <Page title={t("login.title")}>
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <Field name="email" type="email" label={t("login.email")} value={email} onValue={setEmail}
          problem={form.problem} autoComplete="username" required />
        <Field name="password" type="password" label={t("login.password")} value={password}
          onValue={setPassword} problem={form.problem} autoComplete="current-password" required />
        <OtherErrors problem={form.problem} shown={["email", "password"]} />
        <Submit busy={form.busy}>{t("login.submit")}</Submit>
      </form>
      <p>
        <Link href="/wachtwoord-vergeten">{t("forgot.link")}</Link>
      </p>
      <p>
        {t("login.no_account")} <Link href="/registreren">{t("app.register")}</Link>
      </p>
    </Page>
  );
}

/** The key of an otpauth:// URI, in groups of four for typing over. */
function secretOf(uri: string | undefined): string {
  if (!uri) return "";
  const secret = new URL(uri).searchParams.get("secret") ?? "";
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

function SecondStep({ challenge, email, restart }: { challenge: Challenge; email: string; restart: () => void }) {
  const t = useT();
  const next = usePlace().query.get("terug");
  const [code, setCode] = useState("");
  // Logged in, but the account did not load: its problem, and the recovery codes the linking gave (they
  // come only once, so they are shown here rather than lost).
  const [unloaded, setUnloaded] = useState<{ problem: Shown; codes: string[] } | null>(null);
  const [retrying, setRetrying] = useState(false);
  const enrol = challenge.kind === "enrol";
  const onward = (codes: string[]) => () => {
    if (codes.length) navigate("/herstelcodes", { replace: true });
    else navigate(next?.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
  };
  const form = useSubmit(
    () =>
      outcome(() =>
        api.POST("/api/v1/auth/login/verify", {
          params: { header: WEB_CLIENT },
          body: { challenge_id: challenge.challenge_id ?? "", code: code.trim() },
        }),
      ),
    async (tokens) => {
      const codes = tokens.recovery_codes ?? [];
      if (codes.length) keepRecoveryCodes(codes); // before the account loads: kept whatever it answers
      const problem = await begin(tokens, onward(codes));
      if (problem) setUnloaded({ problem, codes });
    },
  );
  const retry = async () => {
    if (!unloaded || retrying) return;
    setRetrying(true);
    const problem = await loadAccount(onward(unloaded.codes));
    setRetrying(false);
    if (problem) setUnloaded({ ...unloaded, problem });
  };
  if (unloaded) {
    // A screen of its own (key: a new heading, focused and announced).
    return (
      <Page key="unloaded" title={unloaded.codes.length ? t("codes.title") : t("login.unloaded.title")}>
        <ProblemBox problem={unloaded.problem} />
        <p>{unloaded.codes.length ? t("login.unloaded.codes") : t("login.unloaded.intro")}</p>
        <p>
          <button type="button" class="button primary" aria-disabled={retrying ? "true" : undefined}
            onClick={() => void retry()}>
            {retrying ? t("app.loading") : t("login.unloaded.retry")}
          </button>
        </p>
        {unloaded.codes.length > 0 && <CodesList codes={unloaded.codes} email={email} />}
      </Page>
    );
  }
  const secret = secretOf(challenge.otpauth_uri);
  return (
    <Page title={enrol ? t("login.enrol.title") : t("login.code.title")}>
      {enrol ? (
        <>
          <p>{t("login.enrol.intro")}</p>
          <div class="enrol">
            {challenge.otpauth_uri && <LazyQrCode text={challenge.otpauth_uri} label={t("login.enrol.qr")} />}
            <div>
              <h2 class="label">{t("login.enrol.secret")}</h2>
              <p>
                <code class="secret" data-secret>
                  {secret}
                </code>
              </p>
            </div>
          </div>
          <p>{t("login.enrol.code")}</p>
        </>
      ) : (
        <p>{t("login.code.intro")}</p>
      )}
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <Field name="code" label={t("login.code")} value={code} onValue={setCode}
          hint={enrol ? undefined : t("login.code.hint")} problem={form.problem}
          autoComplete="one-time-code" inputMode={enrol ? "numeric" : "text"} spellcheck={false} required />
        <OtherErrors problem={form.problem} shown={["code"]} />
        <Submit busy={form.busy}>{enrol ? t("login.enrol.submit") : t("login.code.submit")}</Submit>
      </form>
      <p>
        <button type="button" class="link-button" onClick={restart}>
          {t("login.restart")}
        </button>
      </p>
    </Page>
  );
}
