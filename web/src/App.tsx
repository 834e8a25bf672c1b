import type { ComponentType } from "preact";
import { useEffect } from "preact/hooks";
import { session } from "./auth";
import { Layout, Page } from "./components/Layout";
import { useT } from "./i18n";
import { Link, navigate, usePlace } from "./router";
import { Home } from "./screens/Home";
import { Login } from "./screens/Login";
import { Lookup } from "./screens/Lookup";
import { PeActivity, PeList, PeReading, PeReadingProposal, PeSummary } from "./screens/pe";
import { RecoveryCodes } from "./screens/RecoveryCodes";
import { Register } from "./screens/Register";
import { VerifyEmail } from "./screens/VerifyEmail";
import { PORTFOLIO_ROUTES } from "./screens/portfolio/routes";
import * as account from "./screens/account/routes";
import { CASE_ROUTES } from "./screens/case/routes";
import * as assessor from "./screens/assessor/routes";
import * as dnv from "./screens/dnv/routes";
import * as credentials from "./screens/credentials/routes";
import { WEGWIJZER_ROUTES } from "./screens/wegwijzer/routes";
import * as mentors from "./screens/mentors/routes";
// The service desk (issue 14).
import * as desk from "./screens/desk/routes";
import { useStore } from "./store";

interface Route {
  screen: ComponentType;
  /** Who may open it: everyone, only a logged-in account, or only someone not logged in (else home). */
  access: "public" | "account" | "guest";
}

// Dutch paths: the e-mails link to /e-mailadres-bevestigen and /nieuw-wachtwoord (notifications' templates).
const ROUTES: Record<string, Route> = {
  "/": { screen: Start, access: "public" },
  "/inloggen": { screen: Login, access: "guest" },
  "/registreren": { screen: Register, access: "guest" },
  "/e-mailadres-bevestigen": { screen: VerifyEmail, access: "public" },
  "/herstelcodes": { screen: RecoveryCodes, access: "account" },
  "/register": { screen: Lookup, access: "public" },
  "/uitgelogd": { screen: LoggedOut, access: "public" },
  ...PORTFOLIO_ROUTES,
  ...account.ROUTES,
  ...CASE_ROUTES,
  ...assessor.ROUTES,
  ...dnv.ROUTES,
  ...credentials.ROUTES,
  ...WEGWIJZER_ROUTES,
  ...mentors.ROUTES,
  ...desk.ROUTES,
  "/pe": { screen: PeList, access: "account" },
  "/pe/nieuw": { screen: PeActivity, access: "account" },
  "/pe/activiteit": { screen: PeActivity, access: "account" },
  "/pe/overzicht": { screen: PeSummary, access: "account" },
  // Evidence read for the jobcoach (issue 14).
  "/pe/lezen": { screen: PeReading, access: "account" },
  "/pe/lezen/voorstel": { screen: PeReadingProposal, access: "account" },
};

export function App() {
  const t = useT();
  const { path, query } = usePlace();
  const current = useStore(session);
  const route = ROUTES[path.length > 1 ? path.replace(/\/+$/, "") : path];

  const redirect =
    current.status === "unknown" || !route
      ? null
      : route.access === "account" && current.status === "anonymous"
        ? `/inloggen?terug=${encodeURIComponent(path + (query.size ? `?${query}` : ""))}`
        : route.access === "guest" && current.status === "authenticated"
          ? "/"
          : null;
  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  let content;
  if (!route) content = <NotFound />;
  else if (current.status === "unknown" && route.access !== "public") content = <p>{t("app.loading")}</p>;
  else if (redirect) content = null;
  else content = <route.screen key={path} />;
  return <Layout>{content}</Layout>;
}

/** "/": the jobcoach's overview when logged in, a welcome otherwise. */
function Start() {
  const t = useT();
  const current = useStore(session);
  if (current.status === "authenticated") {
    if (assessor.startsWithWorklist(current.account.roles)) return <assessor.START />;
    if (dnv.startsWithOverview(current.account.roles)) return <dnv.START />;
    return <Home />;
  }
  if (current.status === "unknown") return <p aria-busy="true">{t("app.loading")}</p>;
  return (
    <Page title={t("welcome.title")}>
      <p>{t("welcome.intro")}</p>
      <ul class="links">
        <li>
          <Link href="/inloggen">{t("welcome.login")}</Link>
        </li>
        <li>
          <Link href="/registreren">{t("welcome.register")}</Link>
        </li>
        <li>
          <Link href="/register">{t("welcome.lookup")}</Link>
        </li>
        <li>
          <Link href="/verifieren">{t("verification.title")}</Link>
        </li>
      </ul>
    </Page>
  );
}

function LoggedOut() {
  const t = useT();
  return (
    <Page title={t("loggedout.title")}>
      <p>
        <Link href="/inloggen">{t("app.login")}</Link>
      </p>
    </Page>
  );
}

function NotFound() {
  const t = useT();
  return (
    <Page title={t("notfound.title")}>
      <p>{t("notfound.detail")}</p>
      <p>
        <Link href="/">{t("app.home")}</Link>
      </p>
    </Page>
  );
}
