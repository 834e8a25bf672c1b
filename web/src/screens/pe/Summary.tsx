import { api } from "../../api/client";
import { authorized } from "../../auth";
import { ProblemBox } from "../../components/forms";
import { Page } from "../../components/Layout";
import { formatDate, useT } from "../../i18n";
import { Link } from "../../router";
import { points, type Summary, useLoad } from "./data";
import "./pe.css";

type CategorySummary = NonNullable<Summary["categories"]>[number];

/** /pe/overzicht: the points per category as a chart (minimum and maximum drawn), the same numbers as a
 * table, and the API's sentences about what is still missing and which activities lack evidence. */
export function PeSummary() {
  const t = useT();
  const loaded = useLoad(() => authorized(() => api.GET("/api/v1/pe/summary")));
  const summary = loaded.data;
  return (
    <Page title={t("pe.summary.title")}>
      <p>
        <Link href="/pe">{t("pe.form.back")}</Link>
      </p>
      <ProblemBox problem={loaded.problem} />
      {!summary && !loaded.problem && <p aria-busy="true">{t("app.loading")}</p>}
      {summary && <SummaryView summary={summary} />}
    </Page>
  );
}

function SummaryView({ summary }: { summary: Summary }) {
  const t = useT();
  const categories = summary.categories ?? [];
  const missing = summary.missing ?? [];
  const without = summary.activities_without_evidence ?? [];
  return (
    <>
      {summary.period?.from && summary.period.to && (
        <p>{t("pe.summary.period", { from: formatDate(summary.period.from), to: formatDate(summary.period.to) })}</p>
      )}
      <p class="pe-totals" data-field="totals">
        {t("pe.summary.totals", { counted: points(summary.counted_total), required: points(summary.required_total) })}
      </p>
      <section aria-labelledby="pe-still">
        <h2 id="pe-still">{t("pe.summary.still")}</h2>
        {summary.met || missing.length === 0 ? (
          <p class="pe-met">{t("pe.summary.met")}</p>
        ) : (
          <ul class="pe-missing" data-field="missing">
            {missing.map((item) => (
              <li key={`${item.code}-${item.category ?? "total"}`}>{item.message}</li>
            ))}
          </ul>
        )}
      </section>
      <Chart categories={categories} />
      <Table summary={summary} />
      {summary.categories_official === false && <p class="small">{t("pe.summary.default_categories")}</p>}
      {without.length > 0 && (
        <section aria-labelledby="pe-without">
          <h2 id="pe-without">{t("pe.summary.without")}</h2>
          <p>{t("pe.summary.without.intro")}</p>
          <ul data-field="without-evidence">
            {without.map((item) => (
              <li key={item.activity_id}>
                <Link href={`/pe/activiteit?id=${encodeURIComponent(item.activity_id ?? "")}`}>{item.title}</Link>: {item.message}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

const WIDTH = 320;
const LEFT = 8;
const RIGHT = 8;
const ROW = 64;
const BAR = 18;

/** A category's name cut at a word to fit the chart's width (the table gives it whole). */
function short(name: string, room = 46): string {
  if (name.length <= room) return name;
  const cut = name.slice(0, room);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), 10))}…`;
}

function n(value: string | null | undefined): number {
  return value ? Number(value) : 0;
}

/** Horizontal bars, one per category: counted points (solid), points above the maximum (hatched), points
 * without evidence (outlined), a line at the minimum and one at the maximum. role=img with its title and
 * description; the numbers themselves are in the table that follows (for screen readers and everyone). */
function Chart({ categories }: { categories: CategorySummary[] }) {
  const t = useT();
  const scale = Math.max(
    1,
    ...categories.map((c) => Math.max(n(c.raw) + n(c.points_without_evidence), n(c.minimum), n(c.maximum))),
  );
  const span = WIDTH - LEFT - RIGHT;
  const x = (value: number) => LEFT + (span * value) / scale;
  const height = categories.length * ROW + 8;
  return (
    <figure class="pe-chart">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby="pe-chart-title pe-chart-desc" focusable="false">
        <title id="pe-chart-title">{t("pe.summary.chart")}</title>
        <desc id="pe-chart-desc">{t("pe.summary.chart.desc")}</desc>
        <defs>
          <pattern id="pe-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" class="pe-chart-hatch-bg" />
            <line x1="0" y1="0" x2="0" y2="6" class="pe-chart-hatch" />
          </pattern>
        </defs>
        {categories.map((c, index) => {
          const top = index * ROW + 22;
          const counted = n(c.counted);
          const uncounted = n(c.uncounted);
          const withoutEvidence = n(c.points_without_evidence);
          const minimum = n(c.minimum);
          const maximum = c.maximum === null || c.maximum === undefined ? null : n(c.maximum);
          return (
            <g key={c.number} data-category={c.number}>
              <text x={LEFT} y={top - 6} class="pe-chart-label">
                {short(`${c.number}. ${c.name ?? ""}`)} — {points(c.counted)}
              </text>
              <rect x={LEFT} y={top} width={span} height={BAR} class="pe-chart-track" />
              {counted > 0 && <rect x={LEFT} y={top} width={x(counted) - LEFT} height={BAR} class="pe-chart-counted" />}
              {uncounted > 0 && <rect x={x(counted)} y={top} width={x(counted + uncounted) - x(counted)} height={BAR} fill="url(#pe-hatch)" class="pe-chart-uncounted" />}
              {withoutEvidence > 0 && (
                <rect x={x(counted + uncounted)} y={top + 1} width={Math.max(0, x(counted + uncounted + withoutEvidence) - x(counted + uncounted) - 1)} height={BAR - 2} class="pe-chart-without" />
              )}
              {minimum > 0 && (
                <g class="pe-chart-min">
                  <line x1={x(minimum)} x2={x(minimum)} y1={top - 3} y2={top + BAR + 3} />
                  <text x={Math.min(x(minimum), WIDTH - RIGHT)} y={top + BAR + 14} text-anchor={x(minimum) > WIDTH - 40 ? "end" : "middle"}>
                    {t("pe.summary.min", { value: points(c.minimum) })}
                  </text>
                </g>
              )}
              {maximum !== null && (
                <g class="pe-chart-max">
                  <line x1={x(maximum)} x2={x(maximum)} y1={top - 3} y2={top + BAR + 3} />
                  <text x={Math.min(x(maximum), WIDTH - RIGHT)} y={top + BAR + 14} text-anchor={x(maximum) > WIDTH - 40 ? "end" : "middle"}>
                    {t("pe.summary.max", { value: points(c.maximum ?? "0") })}
                  </text>
                </g>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="pe-legend">
          <li>
            <span class="pe-key pe-key-counted" aria-hidden="true" />
            {t("pe.summary.legend.counted")}
          </li>
          <li>
            <span class="pe-key pe-key-uncounted" aria-hidden="true" />
            {t("pe.summary.legend.uncounted")}
          </li>
          <li>
            <span class="pe-key pe-key-without" aria-hidden="true" />
            {t("pe.summary.legend.without")}
          </li>
          <li>
            <span class="pe-key pe-key-min" aria-hidden="true" />
            {t("pe.summary.legend.minimum")}
          </li>
          <li>
            <span class="pe-key pe-key-max" aria-hidden="true" />
            {t("pe.summary.legend.maximum")}
          </li>
        </ul>
      </figcaption>
    </figure>
  );
}

function Table({ summary }: { summary: Summary }) {
  const t = useT();
  const categories = summary.categories ?? [];
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="pe-table-caption">
      <table class="pe-table" data-field="table">
        <caption id="pe-table-caption">{t("pe.summary.table")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("pe.summary.col.category")}</th>
            <th scope="col">{t("pe.summary.col.counted")}</th>
            <th scope="col">{t("pe.summary.col.uncounted")}</th>
            <th scope="col">{t("pe.summary.col.without")}</th>
            <th scope="col">{t("pe.summary.col.minimum")}</th>
            <th scope="col">{t("pe.summary.col.maximum")}</th>
          </tr>
        </thead>
        <tbody>
          {categories.map((c) => (
            <tr key={c.number} data-category={c.number}>
              <th scope="row">{`${c.number}. ${c.name ?? ""}`}</th>
              <td>{points(c.counted)}</td>
              <td>{points(c.uncounted)}</td>
              <td>{points(c.points_without_evidence)}</td>
              <td>{points(c.minimum)}</td>
              <td>{c.maximum ? points(c.maximum) : t("pe.summary.no_maximum")}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t("pe.summary.total")}</th>
            <td>{points(summary.counted_total)}</td>
            <td />
            <td>{points(summary.without_evidence_total)}</td>
            <td>{points(summary.required_total)}</td>
            <td />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
