import { useState } from "preact/hooks";
import { api, outcome } from "../api/client";
import { Field, OtherErrors, ProblemBox, Submit, useSubmit } from "../components/forms";
import { Page } from "../components/Layout";
import { language, useT } from "../i18n";
import { Link } from "../router";

type Kind = "member" | "affiliate";

export function Register() {
  const t = useT();
  const [fullName, setFullName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [kind, setKind] = useState<Kind>("member");
  const [number, setNumber] = useState("");
  const [done, setDone] = useState<string | null>(null);

  const form = useSubmit(
    () =>
      outcome(() =>
        api.POST("/api/v1/accounts", {
          body: {
            full_name: fullName,
            email,
            password,
            membership_number: number,
            membership_kind: kind,
            preferred_language: language.get(),
          },
        }),
      ),
    (answer) => setDone(answer.detail ?? ""),
  );

  if (done !== null) {
    return (
      <Page key="done" title={t("register.done.title")} outcome>
        <div role="status">
          {done && <p>{done}</p>}
          <p>{t("register.done.next")}</p>
        </div>
      </Page>
    );
  }

  return (
    <Page title={t("register.title")}>
      <p>{t("register.intro")}</p>
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <Field name="full_name" label={t("register.full_name")} value={fullName} onValue={setFullName}
          problem={form.problem} autoComplete="name" required />
        <Field name="email" type="email" label={t("register.email")} value={email} onValue={setEmail}
          problem={form.problem} autoComplete="email" required />
        <Field name="password" type="password" label={t("register.password")} value={password}
          onValue={setPassword} hint={t("register.password.hint")} problem={form.problem}
          autoComplete="new-password" minLength={12} required />
        <fieldset class="choice">
          <legend>{t("register.kind")}</legend>
          {(["member", "affiliate"] as const).map((value) => (
            <label key={value}>
              <input type="radio" name="membership_kind" value={value} checked={kind === value}
                onChange={() => setKind(value)} />
              {t(`register.kind.${value}`)}
            </label>
          ))}
        </fieldset>
        <Field name="membership_number" label={t(`register.number.${kind}`)} value={number} onValue={setNumber}
          hint={t(`register.number.hint.${kind}`)} problem={form.problem} autoComplete="off" required />
        <OtherErrors problem={form.problem}
          shown={["full_name", "email", "password", "membership_number"]} />
        <Submit busy={form.busy}>{t("register.submit")}</Submit>
      </form>
      <p>
        <Link href="/inloggen">{t("welcome.login")}</Link>
      </p>
    </Page>
  );
}
