import { api } from "../../api/client";
import { authorized } from "../../auth";
import { ProblemBox } from "../../components/forms";
import { Page } from "../../components/Layout";
import { formatDate, useT } from "../../i18n";
import { Link } from "../../router";
import { type Activity, type Categories, combine, loadCategories, useFlash, points, type Summary, useLoad, useUnitName } from "./data";
import "./pe.css";

/** /pe: the activities of the current period, each with its points and whether evidence is missing. */
export function PeList() {
  const t = useT();
  const message = useFlash();
  const loaded = useLoad(async () => {
    const first = combine(await loadCategories(), await authorized(() => api.GET("/api/v1/pe/summary")));
    if (!first.ok) return first;
    const [categories, summary] = first.data;
    const query = { from: summary.period?.from ?? null, to: summary.period?.to ?? null, page_size: 100 };
    const activities = await authorized(() => api.GET("/api/v1/pe/activities", { params: { query } }));
    if (!activities.ok) return activities;
    return { ok: true as const, data: { categories, summary, activities: activities.data.items ?? [] }, response: activities.response };
  });
  const data = loaded.data;
  return (
    <Page title={t("pe.list.title")}>
      {message && (
        <p class="notice pe-flash" role="status">
          {message}
        </p>
      )}
      <ProblemBox problem={loaded.problem} />
      {!data && !loaded.problem && <p aria-busy="true">{t("app.loading")}</p>}
      {data && (
        <>
          <Intro summary={data.summary} />
          <p class="actions">
            <Link href="/pe/nieuw" class="button primary">
              {t("pe.list.add")}
            </Link>
            <Link href="/pe/overzicht" class="button">
              {t("pe.list.summary")}
            </Link>
            <Link href="/pe/lezen" class="button">
              {t("reading.nav")}
            </Link>
          </p>
          {data.activities.length === 0 ? (
            <p>{t("pe.list.none")}</p>
          ) : (
            <ul class="pe-activities" aria-label={t("pe.list.count", { count: data.activities.length })}>
              {data.activities.map((activity) => (
                <ActivityItem key={activity.id} activity={activity} categories={data.categories} />
              ))}
            </ul>
          )}
        </>
      )}
    </Page>
  );
}

function Intro({ summary }: { summary: Summary }) {
  const t = useT();
  const from = summary.period?.from ? formatDate(summary.period.from) : "";
  const to = summary.period?.to ? formatDate(summary.period.to) : "";
  return (
    <>
      <p>{t(summary.period?.source === "fallback" ? "pe.list.intro.fallback" : "pe.list.intro", { from, to })}</p>
      <p data-field="totals">
        {t("pe.list.totals", { counted: points(summary.counted_total), required: points(summary.required_total) })}
      </p>
    </>
  );
}

function ActivityItem({ activity, categories }: { activity: Activity; categories: Categories }) {
  const t = useT();
  const unitName = useUnitName();
  const category = categories.categories?.find((c) => c.number === activity.category);
  const evidence = activity.evidence?.length ?? 0;
  return (
    <li class="pe-activity" data-activity={activity.id}>
      <h2 class="pe-activity-title">{activity.title}</h2>
      <p class="pe-activity-points" data-field="points">
        {t("pe.activity.points", { points: points(activity.points) })}
      </p>
      <ul class="pe-facts">
        <li>{activity.provider}</li>
        <li>{t("pe.activity.completed_on", { date: formatDate(activity.completed_on ?? "") })}</li>
        <li>{t("pe.activity.category", { number: activity.category ?? "", name: category?.name ?? "" })}</li>
        <li>{t("pe.activity.amount", { amount: points(activity.amount), unit: unitName(categories, activity.unit) })}</li>
      </ul>
      <p>
        {evidence === 0 ? (
          <strong class="pe-badge pe-badge-missing" data-field="evidence">
            {t("pe.evidence.missing")}
          </strong>
        ) : (
          <span class="pe-badge" data-field="evidence">
            {evidence === 1 ? t("pe.evidence.one") : t("pe.evidence.count", { count: evidence })}
          </span>
        )}
      </p>
      {activity.locked ? (
        <p class="small">{t("pe.list.locked")}</p>
      ) : (
        <p>
          <Link href={`/pe/activiteit?id=${encodeURIComponent(activity.id ?? "")}`}>
            {t("pe.list.edit")}
            <span class="visually-hidden"> {activity.title}</span>
          </Link>
        </p>
      )}
    </li>
  );
}
