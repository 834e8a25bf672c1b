// /mijn-account: the account's facts, its language (stored on the account: PATCH /api/v1/accounts/me, so
// e-mails follow it too) and the way to change the password.
import { useState } from "preact/hooks";
import { chooseLanguage, session } from "../../auth";
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
  if (current.status !== "authenticated") return null;
  const { account } = current;
  const choose = (value: Language) => {
    setSaved(false);
    void chooseLanguage(value).then(() => setSaved(true));
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
      <fieldset class="choice">
        <legend>{t("me.language")}</legend>
        {(["nl", "en"] as const).map((value) => (
          <label key={value} lang={value}>
            <input type="radio" name="preferred_language" value={value} checked={lang === value}
              onChange={() => choose(value)} />
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
