// Supplement mode (issue 13): after DNV's postponed decision, the assignments per reopened part with the
// deadline shown first, a link to each part's editor (the portfolio's A1-A4 editors, which let her change
// exactly the reopened parts; part B: the PE screens), and the confirmation before the supplement is sent.
// A supplement annulled with the postponed decision that asked for it (an upheld objection, ADR 0011
// amended) is shown as such, with why: portfolio answers 404 for it, and its cycle shows it annulled. Annulled
// while the screen was open, the hand-in is refused (409 supplement-annulled): the refusal stays said and the
// screen loads the supplement again, so the annulled state replaces the stale form without a reload.
import { useState } from "preact/hooks";
import { api, isProblemType, type Schemas, type Shown } from "../../api/client";
import { authorized } from "../../auth";
import { platformToday } from "../../calendar";
import { ConfirmCheck, ProblemBox, Submit, useConfirmation, useSubmit } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, type TextKey, useT } from "../../i18n";
import { Link } from "../../router";
import "./case.css";

type Supplement = Schemas["Supplement"];

const getSupplement = () => authorized(() => api.GET("/api/v1/portfolio/cycles/current/supplement"));

/** The supplement asked of her; when none is (404), the cycle's annulled one if an upheld objection
 * annulled it, else the 404 (no supplement asked). */
async function loadSupplement(): Promise<{ ok: true; data: Supplement } | { ok: false; problem: Shown }> {
  const answer = await getSupplement();
  if (answer.ok || answer.problem.status !== 404) return answer;
  const cycle = await authorized(() => api.GET("/api/v1/portfolio/cycles/current"));
  if (cycle.ok && cycle.data.supplement?.state === "annulled") return { ok: true, data: cycle.data.supplement };
  return answer;
}

function editorOf(part: string): string {
  return part === "B" ? "/pe" : `/portfolio/${part.toLowerCase()}`;
}

/** An ISO date as a count of days, so that two dates subtract to the days between them. */
function dayNumber(iso: string): number {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1) / 86_400_000;
}

function daysUntil(iso: string): number {
  return Math.round(dayNumber(iso) - dayNumber(platformToday()));
}

export function SupplementScreen() {
  const t = useT();
  const { data, problem, reload, setData } = useLoad(loadSupplement);
  // The hand-in refused because the supplement was annulled meanwhile: said above whatever follows (role=alert,
  // focused), while the supplement is loaded again (`stale` until then: the old form is not shown).
  const [refusal, setRefusal] = useState<Shown | null>(null);
  const [stale, setStale] = useState(false);
  const annulledMeanwhile = (refused: Shown) => {
    setRefusal(refused);
    setStale(true);
    void loadSupplement().then((answer) => {
      setStale(false);
      if (answer.ok) setData(answer.data);
      else reload();
    });
  };
  return (
    <Page title={t("supplement.title")}>
      <p>
        <Link href="/aanvraag">{t("supplement.back")}</Link>
      </p>
      <ProblemBox problem={refusal} />
      {problem ? (
        problem.status === 404 ? (
          <p>{t("supplement.none")}</p>
        ) : (
          <ProblemBox problem={problem} />
        )
      ) : !data || stale ? (
        <p aria-busy="true">{t("app.loading")}</p>
      ) : data.state === "annulled" ? (
        <Annulled supplement={data} />
      ) : (
        <SupplementView supplement={data} submitted={reload} annulled={annulledMeanwhile} />
      )}
    </Page>
  );
}

/** No longer due: the postponed decision that asked for it was annulled when DNV upheld her objection. */
function Annulled({ supplement }: { supplement: Supplement }) {
  const t = useT();
  return (
    <div class="notice case-annulled" data-field="annulled">
      <p class="problem-title">{t("supplement.annulled", { date: formatDate(supplement.annulled_at ?? "") })}</p>
      <p>{t("supplement.annulled.why")}</p>
    </div>
  );
}

function Deadline({ due }: { due: string }) {
  const t = useT();
  const left = daysUntil(due);
  return (
    <div class="notice case-deadline" data-field="deadline">
      <p class="case-deadline-date">{t("supplement.deadline", { date: formatDate(due) })}</p>
      <p>
        {left > 1
          ? t("supplement.days_left", { count: left })
          : left === 1
            ? t("supplement.day_left")
            : left === 0
              ? t("supplement.last_day")
              : t("supplement.past")}
      </p>
    </div>
  );
}

function SupplementView({ supplement, submitted, annulled }: {
  supplement: Supplement;
  submitted: () => void;
  annulled: (refused: Shown) => void;
}) {
  const t = useT();
  const parts = supplement.parts ?? [];
  const revised = new Set(supplement.revised_parts ?? []);
  const assignments = supplement.assignments ?? [];
  const done = Boolean(supplement.submitted_at);
  return (
    <>
      {done ? (
        <p class="notice" role="status" data-field="submitted">
          {t("supplement.submitted", { date: formatDate(supplement.submitted_at ?? "") })}
        </p>
      ) : (
        supplement.due_on && <Deadline due={supplement.due_on} />
      )}
      <p>{t("supplement.intro")}</p>
      <section aria-labelledby="assignments-title">
        <h2 id="assignments-title">{t("supplement.assignments")}</h2>
        <ul class="case-parts">
          {parts.map((part) => {
            const isRevised = revised.has(part);
            const name = t(`portfolio.part.${part}` as TextKey);
            return (
              <li key={part} data-part={part} class={isRevised ? "case-revised" : undefined}>
                <h3>{name}</h3>
                {assignments
                  .filter((a) => a.part === part)
                  .map((a, index) => (
                    <div key={index}>
                      <p class="case-label">{t("supplement.assignment")}</p>
                      <p class="case-text" data-field="assignment">
                        {a.assignment}
                      </p>
                    </div>
                  ))}
                <p data-field="revised">
                  <span aria-hidden="true">{isRevised ? "✓ " : "! "}</span>
                  {isRevised ? t("supplement.revised") : t("supplement.not_revised")}
                </p>
                {!done && (
                  <p>
                    <Link href={editorOf(part)} class="button">
                      {part === "B" ? t("supplement.edit.B") : t("supplement.edit", { part })}
                    </Link>
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      </section>
      {!done && <Confirm supplement={supplement} submitted={submitted} annulled={annulled} />}
    </>
  );
}

function Confirm({ supplement, submitted, annulled }: {
  supplement: Supplement;
  submitted: () => void;
  annulled: (refused: Shown) => void;
}) {
  const t = useT();
  const confirmation = useConfirmation();
  const parts = supplement.parts ?? [];
  const revised = new Set(supplement.revised_parts ?? []);
  const ready = parts.filter((p) => p !== "B").every((p) => revised.has(p));
  const form = useSubmit(async () => {
    const answer = await authorized(() => api.POST("/api/v1/portfolio/cycles/current/supplement/submit"));
    // Annulled meanwhile: the screen says so above and shows the annulled state; this form goes.
    if (!answer.ok && isProblemType(answer.problem, "supplement-annulled")) annulled(answer.problem);
    return answer;
  }, submitted);
  return (
    <section aria-labelledby="confirm-title">
      <h2 id="confirm-title">{t("supplement.confirm")}</h2>
      {!ready && <p>{t("supplement.confirm.not_ready")}</p>}
      <p>{t("supplement.confirm.intro")}</p>
      <ul>
        {parts.map((part) => (
          <li key={part}>
            {t(`portfolio.part.${part}` as TextKey)}: {revised.has(part) ? t("supplement.revised") : t("supplement.not_revised")}
          </li>
        ))}
      </ul>
      <form
        noValidate
        onSubmit={confirmation.guard(form.onSubmit)}
      >
        <ProblemBox problem={form.problem} />
        <ConfirmCheck
          id="supplement-sure"
          label={t("supplement.confirm.check")}
          message={t("case.confirm.needed")}
          confirmation={confirmation}
        />
        <Submit busy={form.busy}>{t("supplement.confirm.submit")}</Submit>
      </form>
    </section>
  );
}
