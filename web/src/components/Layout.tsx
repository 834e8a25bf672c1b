import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { chooseLanguage, logout, session } from "../auth";
import { language, useT } from "../i18n";
import { hasNavigated, Link, navigate, usePlace } from "../router";
import { useStore } from "../store";
import { CaseMenu } from "../screens/case/menu";
import { menu as accountMenu } from "../screens/account/routes";
import { roleMenu } from "../screens/roleMenu";

export function Layout({ children }: { children: ComponentChildren }) {
  const t = useT();
  const current = useStore(session);
  const lang = useStore(language);
  const { path } = usePlace();
  const link = (href: string, text: string) => (
    <li>
      <Link href={href} aria-current={path === href ? "page" : undefined}>
        {text}
      </Link>
    </li>
  );
  return (
    <>
      <a class="skip-link" href="#main">
        {t("app.skip")}
      </a>
      <header class="site-header">
        <div class="bar">
          <Link href="/" class="brand">
            {t("app.name")}
          </Link>
          {/* The service button (issue 14): DNV's help desk, on every page, logged in or not. */}
          <Link href="/hulp" class="help-button" aria-current={path.startsWith("/hulp") ? "page" : undefined}>
            {t("desk.button")}
          </Link>
          <button
            type="button"
            class="link-button language"
            lang={lang === "nl" ? "en" : "nl"}
            aria-label={t("app.language.label")}
            onClick={() => void chooseLanguage(lang === "nl" ? "en" : "nl")}
          >
            {t("app.language.switch")}
          </button>
        </div>
        <nav aria-label={t("app.nav")}>
          <ul>
            {current.status === "authenticated" ? (
              <>
                {link("/", t("app.home"))}
                {current.account.roles?.includes("jobcoach") && link("/pe", t("pe.nav"))}
                {current.account.roles?.includes("jobcoach") && link("/portfolio", t("portfolio.menu"))}
                {current.account.roles?.includes("jobcoach") && <CaseMenu path={path} />}
                {roleMenu(current.account.roles).map((entry) => link(entry.href, t(entry.key)))}
                {link("/register", t("app.lookup"))}
                {accountMenu(current.account.roles).map((entry) => link(entry.href, t(entry.key)))}
                <li>
                  <button
                    type="button"
                    class="link-button"
                    onClick={() => void logout().then(() => navigate("/uitgelogd"))}
                  >
                    {t("app.logout")}
                  </button>
                </li>
              </>
            ) : (
              <>
                {link("/inloggen", t("app.login"))}
                {link("/registreren", t("app.register"))}
                {link("/register", t("app.lookup"))}
              </>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="site-footer">
        <p>{t("app.footer")}</p>
      </footer>
    </>
  );
}

/** A screen: its heading (focused when the screen opens, so a screen reader announces the new page and
 * the keyboard starts from there) and the document's title.
 *
 * `outcome`: the screen that follows the person's own act on the screen before it, in the same place (a
 * form sent, "check your mailbox"): its heading takes the focus even when the app has not navigated yet
 * (the page was opened from an e-mail's link). Such a screen needs a `key` of its own where the screen
 * before it is a Page too, so that it opens as a new Page (and its heading is focused) rather than as the
 * same Page with new content (the focus then left on a button that is gone, nothing announced). */
export function Page({ title, outcome, children }: { title: string; outcome?: boolean; children: ComponentChildren }) {
  const t = useT();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = t("app.page_title", { page: title });
  }, [title]);
  useEffect(() => {
    // Not on the very first page load: there the browser starts at the top, as with any page.
    if (outcome || hasNavigated()) heading.current?.focus();
  }, []);
  return (
    <div class="page">
      <h1 tabIndex={-1} ref={heading}>
        {title}
      </h1>
      {children}
    </div>
  );
}

/** A flow that ended well and leads to the login (an address confirmed, a password set anew). */
export function DoneThenLogin({ title, message }: { title: string; message: string }) {
  const t = useT();
  return (
    <Page title={title} outcome>
      <p role="status">{message}</p>
      <p>
        <Link href="/inloggen" class="button primary">
          {t("app.login")}
        </Link>
      </p>
    </Page>
  );
}
