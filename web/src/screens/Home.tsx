import { api, type Schemas } from "../api/client";
import { authorized, session } from "../auth";
import { ProblemBox } from "../components/forms";
import { Page } from "../components/Layout";
import { useLoad } from "../components/useLoad";
import { formatDate, type TextKey, useT } from "../i18n";
import { Link } from "../router";
import { menu as accountMenu } from "./account/routes";
import { roleMenu } from "./roleMenu";
import { useStore } from "../store";

type Dashboard = Schemas["ComposedDashboard"];
type Tile = Schemas["Tile"];
type PartName = Dashboard["missing"][number];

export function Home() {
  const t = useT();
  const current = useStore(session);
  if (current.status !== "authenticated") return null;
  const account = current.account;
  const title = t("home.title");
  if (!account.roles?.includes("jobcoach")) {
    return (
      <Page title={title}>
        <p>{t("home.greeting", { name: account.full_name ?? "" })}</p>
        <h2>{t("home.staff")}</h2>
        <ul class="links">
          {[...roleMenu(account.roles), ...accountMenu(account.roles)].map((entry) => (
            <li key={entry.href}>
              <Link href={entry.href}>{t(entry.key)}</Link>
            </li>
          ))}
        </ul>
      </Page>
    );
  }
  return (
    <Page title={title}>
      <p>{t("home.greeting", { name: account.full_name ?? "" })}</p>
      <JobcoachDashboard />
    </Page>
  );
}

function JobcoachDashboard() {
  const t = useT();
  const { data: dashboard, problem, reload } = useLoad(() => authorized(() => api.GET("/api/v1/dashboard")));

  if (problem) return <ProblemBox problem={problem} />;
  if (!dashboard) return <p aria-busy="true">{t("app.loading")}</p>;
  const absence = dashboard.absent["certificate"];
  return (
    <>
      {dashboard.missing.length > 0 && (
        <Missing parts={dashboard.missing} retry={reload} />
      )}
      <section class="tile" aria-labelledby="tile-title">
        <h2 id="tile-title">{t("home.certificate")}</h2>
        {dashboard.certificate ? (
          <CertificateTile tile={dashboard.certificate} />
        ) : absence ? (
          <>
            <p>{t("home.certificate.absent")}</p>
            <p class="small">{t("home.certificate.absent.why")}</p>
          </>
        ) : (
          <p class="unavailable">{t("home.missing.title")}</p>
        )}
      </section>
      <ul class="facts">
        {dashboard.messages && <li>{t("home.messages", { count: dashboard.messages.unread ?? 0 })}</li>}
        {dashboard.invoices && <li>{t("home.invoices", { count: dashboard.invoices.total ?? 0 })}</li>}
      </ul>
    </>
  );
}

function Missing({ parts, retry }: { parts: PartName[]; retry: () => void }) {
  const t = useT();
  return (
    <div class="notice" role="status">
      <p class="problem-title">{t("home.missing.title")}</p>
      <p>{t("home.missing.intro")}</p>
      <ul>
        {parts.map((part) => (
          <li key={part}>{t(`home.part.${part}` as TextKey)}</li>
        ))}
      </ul>
      <button type="button" class="button" onClick={retry}>
        {t("home.missing.retry")}
      </button>
    </div>
  );
}

function CertificateTile({ tile }: { tile: Tile }) {
  const t = useT();
  const days = tile.days_left ?? 0;
  const window = tile.submission_window && "opens_on" in tile.submission_window ? tile.submission_window : null;
  return (
    <>
      <dl class="tile-facts">
        <div>
          <dt>{t("home.certificate.number")}</dt>
          <dd data-field="certificate_number">{tile.certificate_number}</dd>
        </div>
        <div>
          <dt>{t("home.certificate.valid_until")}</dt>
          <dd data-field="valid_until">{tile.valid_until ? formatDate(tile.valid_until) : ""}</dd>
        </div>
        <div>
          <dt>{t("home.certificate.days_left")}</dt>
          <dd data-field="days_left">
            {days <= 0
              ? t("home.certificate.expired")
              : days === 1
                ? t("home.certificate.day")
                : t("home.certificate.days", { count: days })}
          </dd>
        </div>
      </dl>
      {tile.state === "lapsed" ? (
        <p>{t("home.certificate.lapsed")}</p>
      ) : (
        <p data-field="window">
          {window?.opens_on && window.closes_on
            ? tile.window_open
              ? t("home.window.open", { closes: formatDate(window.closes_on) })
              : t("home.window.later", { opens: formatDate(window.opens_on), closes: formatDate(window.closes_on) })
            : t("home.window.none")}
        </p>
      )}
      <p class="small">
        <Link href={`/register?q=${encodeURIComponent(tile.certificate_number ?? "")}`}>{t("app.lookup")}</Link>
      </p>
    </>
  );
}
