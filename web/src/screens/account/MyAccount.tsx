// /mijn-account: the account's facts, its language (stored on the account: PATCH /api/v1/accounts/me, so
// e-mails follow it too) and the way to change the password.
import { useState } from "preact/hooks";
import { api, type Shown } from "../../api/client";
import { authorized, session } from "../../auth";
import { ProblemBox } from "../../components/forms";
import { Page } from "../../components/Layout";
import { type Language, language, useT } from "../../i18n";
import { Link } from "../../router";
import { useStore } from "../../store";
import { roleName } from "./roles";
import "./account.css";

export function MyAccount() {
  const t = useT();
  const current = useStore(session);
  const lang = useStore(language);
  const [saved, setSaved] = useState(false);
  const [problem, setProblem] = useState<Shown | null>(null);
  if (current.status !== "authenticated") return null;
  const { account } = current;
  // As the header's switch does (auth.chooseLanguage), but a refusal is shown here.
  const choose = async (value: Language) => {
    setSaved(false);
    setProblem(null);
    language.set(value);
    const answer = await authorized(() =>
      api.PATCH("/api/v1/accounts/me", { body: { preferred_language: value } }),
    );
    if (answer.ok) {
      session.set({ status: "authenticated", account: answer.data });
      setSaved(true);
    } else {
      setProblem(answer.problem);
    }
  };
  return (
    <Page title={t("me.title")}>
      <dl class="account-facts">
        <dt>{t("me.name")}</dt>
        <dd>{account.full_name}</dd>
        <dt>{t("me.email")}</dt>
        <dd>{account.email}</dd>
        <dt>{t("me.roles")}</dt>
        <dd>{(account.roles ?? []).map((role) => roleName(t, role)).join(", ")}</dd>
      </dl>
      <ProblemBox problem={problem} />
      <fieldset class="choice">
        <legend>{t("me.language")}</legend>
        {(["nl", "en"] as const).map((value) => (
          <label key={value} lang={value}>
            <input type="radio" name="preferred_language" value={value} checked={lang === value}
              onChange={() => void choose(value)} />
            {t(`language.${value}`)}
          </label>
        ))}
      </fieldset>
      <p role="status" class="small">
        {saved && account.preferred_language === lang ? t("me.language.saved") : ""}
      </p>
      <h2>{t("me.password")}</h2>
      <p>
        <Link href="/wachtwoord-wijzigen">{t("change.title")}</Link>
      </p>
      <p class="small">{t("me.recovery")}</p>
    </Page>
  );
}
