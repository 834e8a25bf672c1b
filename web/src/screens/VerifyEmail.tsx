import { useState } from "preact/hooks";
import { api, outcome } from "../api/client";
import { Field, OtherErrors, ProblemBox, Submit, useSubmit } from "../components/forms";
import { DoneThenLogin, Page } from "../components/Layout";
import { useT } from "../i18n";
import { Link, usePlace } from "../router";

/** The page the e-mailed link opens: /e-mailadres-bevestigen?token=... (notifications' templates). */
export function VerifyEmail() {
  const t = useT();
  const token = usePlace().query.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const form = useSubmit(
    () => outcome(() => api.POST("/api/v1/accounts/verify-email", { body: { token, password } })),
    () => setDone(true),
  );

  if (done) {
    return <DoneThenLogin title={t("verify.done.title")} message={t("verify.done.next")} />;
  }
  if (!token) {
    return (
      <Page title={t("verify.title")}>
        <p>{t("verify.no_token")}</p>
        <p>
          <Link href="/inloggen">{t("app.login")}</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title={t("verify.title")}>
      <p>{t("verify.intro")}</p>
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <Field name="password" type="password" label={t("verify.password")} value={password}
          onValue={setPassword} problem={form.problem} autoComplete="current-password" required />
        <OtherErrors problem={form.problem} shown={["password"]} />
        <Submit busy={form.busy}>{t("verify.submit")}</Submit>
      </form>
    </Page>
  );
}
