// Forgotten password (/wachtwoord-vergeten), the new password from the e-mailed link (/nieuw-wachtwoord,
// notifications' template password_reset_link), and changing one's password when logged in.
import { useState } from "preact/hooks";
import { api, outcome } from "../../api/client";
import { authorized } from "../../auth";
import { Field, OtherErrors, ProblemBox, Submit, useSubmit } from "../../components/forms";
import { DoneThenLogin, Page } from "../../components/Layout";
import { useT } from "../../i18n";
import { Link, usePlace } from "../../router";
import "./account.css";

export function ForgotPassword() {
  const t = useT();
  const [email, setEmail] = useState(usePlace().query.get("email") ?? "");
  const [sent, setSent] = useState<string | null>(null);
  const form = useSubmit(
    () => outcome(() => api.POST("/api/v1/auth/password-reset", { body: { email: email.trim() } })),
    (answer) => setSent(answer.detail ?? ""),
  );
  if (sent !== null) {
    return (
      <Page title={t("forgot.done.title")}>
        <p role="status">{t("forgot.done.next")}</p>
        {sent && <p>{sent}</p>}
        <p>
          <Link href="/inloggen">{t("forgot.back")}</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title={t("forgot.title")}>
      <p>{t("forgot.intro")}</p>
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <Field name="email" type="email" label={t("forgot.email")} value={email} onValue={setEmail}
          problem={form.problem} autoComplete="username" required />
        <OtherErrors problem={form.problem} shown={["email"]} />
        <Submit busy={form.busy}>{t("forgot.submit")}</Submit>
      </form>
      <p>
        <Link href="/inloggen">{t("forgot.back")}</Link>
      </p>
    </Page>
  );
}

export function NewPassword() {
  const t = useT();
  const token = usePlace().query.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const form = useSubmit(
    () =>
      outcome(() =>
        api.POST("/api/v1/auth/password-reset/confirm", { body: { token, new_password: password } }),
      ),
    () => {
      setPassword("");
      setDone(true);
    },
  );
  if (done) {
    return <DoneThenLogin title={t("reset.done.title")} message={t("reset.done.next")} />;
  }
  if (!token) {
    return (
      <Page title={t("reset.title")}>
        <p>{t("reset.no_token")}</p>
        <p>
          <Link href="/wachtwoord-vergeten">{t("reset.again")}</Link>
        </p>
      </Page>
    );
  }
  const expired = form.problem !== null && form.problem.status !== 422 && form.problem.status !== 0;
  return (
    <Page title={t("reset.title")}>
      <p>{t("reset.intro")}</p>
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        {expired && (
          <p>
            <Link href="/wachtwoord-vergeten">{t("reset.again")}</Link>
          </p>
        )}
        <Field name="new_password" type="password" label={t("reset.password")} value={password}
          onValue={setPassword} hint={t("reset.password.hint")} problem={form.problem}
          autoComplete="new-password" minLength={12} required />
        <OtherErrors problem={form.problem} shown={["new_password"]} />
        <Submit busy={form.busy}>{t("reset.submit")}</Submit>
      </form>
    </Page>
  );
}

export function ChangePassword() {
  const t = useT();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const form = useSubmit(
    () =>
      authorized(() =>
        api.POST("/api/v1/accounts/me/password", {
          body: { current_password: current, new_password: next },
        }),
      ),
    () => {
      setCurrent("");
      setNext("");
      setDone(true);
    },
  );
  return (
    <Page title={t("change.title")}>
      <p>{t("change.intro")}</p>
      <p role="status" class={done ? "notice done" : undefined}>
        {done ? t("change.done") : ""}
      </p>
      <form
        onSubmit={(event) => {
          setDone(false);
          form.onSubmit(event);
        }}
        noValidate
      >
        <ProblemBox problem={form.problem} />
        <Field name="current_password" type="password" label={t("change.current")} value={current}
          onValue={setCurrent} problem={form.problem} autoComplete="current-password" required />
        <Field name="new_password" type="password" label={t("change.new")} value={next} onValue={setNext}
          hint={t("reset.password.hint")} problem={form.problem} autoComplete="new-password" minLength={12}
          required />
        <OtherErrors problem={form.problem} shown={["current_password", "new_password"]} />
        <Submit busy={form.busy}>{t("change.submit")}</Submit>
      </form>
      <p>
        <Link href="/mijn-account">{t("me.title")}</Link>
      </p>
    </Page>
  );
}
