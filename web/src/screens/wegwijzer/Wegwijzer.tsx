// The jobcoach's wegwijzer (issue 14, ADR 0026): the next best step with a link to where it is done, the
// milestones with date, state and estimate, the PE pace, and the calendar link (copy it; renew it after a
// confirmation that says the old link stops working).
import { useRef, useState } from "preact/hooks";
import { api, type Schemas, type Shown } from "../../api/client";
import { authorized } from "../../auth";
import { ProblemBox } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, formatNumber, type TextKey, useT } from "../../i18n";
import { Link } from "../../router";
import "./wegwijzer.css";

type Wegwijzer = Schemas["Wegwijzer"];
type Milestone = Schemas["Milestone"];
type Feed = Schemas["CalendarFeed"];

/** Where each next step is done in the portal. */
const WHERE: Record<string, string> = {
  start: "/pe",
  record_pe: "/pe",
  add_meetings: "/portfolio/bijeenkomsten",
  write_parts: "/portfolio",
  submit: "/portfolio/indienen",
  supplement: "/aanvraag/aanvulling",
  wait: "/aanvraag",
};

export function WegwijzerScreen() {
  const t = useT();
  const { data, problem } = useLoad(() => authorized(() => api.GET("/api/v1/portfolio/wegwijzer")));
  const none = problem?.status === 404;
  return (
    <Page title={t("wegwijzer.title")}>
      <p>{t("wegwijzer.intro")}</p>
      {none ? <p>{t("wegwijzer.none")}</p> : <ProblemBox problem={problem} />}
      {!data && !problem && <p aria-busy="true">{t("app.loading")}</p>}
      {data && (
        <>
          <p data-field="case-state">
            {t(`wegwijzer.case.${data.case_state}` as TextKey, { date: formatDate(data.deadline ?? "") })}
          </p>
          <NextStep wegwijzer={data} />
          <Milestones wegwijzer={data} />
          <Pace wegwijzer={data} />
        </>
      )}
      {!none && <Calendar />}
    </Page>
  );
}

function NextStep({ wegwijzer }: { wegwijzer: Wegwijzer }) {
  const t = useT();
  const step = wegwijzer.next_step;
  const action = step.action ?? "wait";
  return (
    <section class="tile wegwijzer-next" aria-labelledby="next-title">
      <h2 id="next-title">{t("wegwijzer.next")}</h2>
      <p data-field="next-step">{t(`wegwijzer.next.${action}` as TextKey)}</p>
      {step.date && <p>{t("wegwijzer.next.by", { date: formatDate(step.date) })}</p>}
      <p>
        <Link href={WHERE[action] ?? "/"}>{t("wegwijzer.next.go")}</Link>
      </p>
    </section>
  );
}

function Milestones({ wegwijzer }: { wegwijzer: Wegwijzer }) {
  const t = useT();
  return (
    <section aria-labelledby="milestones-title">
      <h2 id="milestones-title">{t("wegwijzer.milestones")}</h2>
      <ol class="wegwijzer-milestones">
        {wegwijzer.milestones.map((milestone) => (
          <MilestoneItem key={milestone.key} milestone={milestone} wegwijzer={wegwijzer} />
        ))}
      </ol>
    </section>
  );
}

function MilestoneItem({ milestone, wegwijzer }: { milestone: Milestone; wegwijzer: Wegwijzer }) {
  const t = useT();
  const state = milestone.state ?? "on_track";
  const estimate = milestone.estimate;
  return (
    <li class={`wegwijzer-milestone wegwijzer-${state}`} data-milestone={milestone.key} data-state={state}>
      <strong>
        {t(`wegwijzer.milestone.${milestone.key}` as TextKey, {
          proven: wegwijzer.meetings_proven ?? 0,
          required: wegwijzer.meetings_required ?? 0,
        })}
      </strong>
      <span class="wegwijzer-state">{t(`wegwijzer.state.${state}` as TextKey)}</span>
      <span>{t("wegwijzer.date", { date: formatDate(milestone.date ?? "") })}</span>
      {estimate && state !== "done" && (estimate.hours ?? 0) > 0 && (
        <span class="small">{t("wegwijzer.estimate", { hours: estimate.hours ?? 0, weeks: estimate.weeks ?? 0 })}</span>
      )}
    </li>
  );
}

function Pace({ wegwijzer }: { wegwijzer: Wegwijzer }) {
  const t = useT();
  const pace = wegwijzer.pace;
  const needed = Number(pace.points_needed ?? "0");
  return (
    <section aria-labelledby="pace-title" data-field="pace">
      <h2 id="pace-title">{t("wegwijzer.pace")}</h2>
      {needed <= 0 ? (
        <p>{t("wegwijzer.pace.done")}</p>
      ) : (
        <>
          <p>
            {t("wegwijzer.pace.needed", {
              points: formatNumber(pace.points_needed ?? "0"),
              category1: formatNumber(pace.category_1_needed ?? "0"),
            })}
          </p>
          <p>
            {pace.target
              ? t("wegwijzer.pace.per_month", {
                  date: formatDate(pace.target),
                  perMonth: formatNumber(pace.points_per_month ?? "0"),
                  months: formatNumber(pace.months_left ?? "0"),
                  sustainable: formatNumber(pace.sustainable_per_month ?? "0"),
                })
              : t("wegwijzer.pace.late")}
          </p>
        </>
      )}
    </section>
  );
}

function Calendar() {
  const t = useT();
  const { data, problem, setData } = useLoad(() => authorized(() => api.GET("/api/v1/portfolio/wegwijzer/calendar")));
  const [status, setStatus] = useState("");
  const [asking, setAsking] = useState(false);
  const [failed, setFailed] = useState<Shown | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const url = (feed: Feed) => `${location.origin}${feed.path ?? ""}`;

  const copy = async (feed: Feed) => {
    try {
      await navigator.clipboard.writeText(url(feed));
      setStatus(t("wegwijzer.calendar.copied"));
    } catch {
      input.current?.select();
      setStatus(t("wegwijzer.calendar.copy_failed"));
    }
  };
  const renew = async () => {
    const answer = await authorized(() => api.POST("/api/v1/portfolio/wegwijzer/calendar/renew"));
    setAsking(false);
    setFailed(answer.ok ? null : answer.problem);
    if (answer.ok) {
      setData(answer.data);
      setStatus(t("wegwijzer.calendar.renewed"));
    }
  };

  return (
    <section class="tile" aria-labelledby="calendar-title">
      <h2 id="calendar-title">{t("wegwijzer.calendar")}</h2>
      <p>{t("wegwijzer.calendar.intro")}</p>
      {problem ? (
        <p>{t("wegwijzer.calendar.unavailable")}</p>
      ) : !data ? (
        <p aria-busy="true">{t("app.loading")}</p>
      ) : (
        <>
          <p class="small">{t("wegwijzer.calendar.secret")}</p>
          <div class="field">
            <label for="calendar-link">{t("wegwijzer.calendar.link")}</label>
            <input id="calendar-link" type="text" readOnly value={url(data)} ref={input} class="wegwijzer-link" />
          </div>
          <p class="wegwijzer-actions">
            <button type="button" class="button" onClick={() => void copy(data)}>
              {t("wegwijzer.calendar.copy")}
            </button>
            {!asking && (
              <button type="button" class="link-button" onClick={() => setAsking(true)}>
                {t("wegwijzer.calendar.renew")}
              </button>
            )}
          </p>
          <ProblemBox problem={failed} />
          {asking && (
            <div class="notice" role="alertdialog" aria-labelledby="renew-question">
              <p id="renew-question">{t("wegwijzer.calendar.renew.confirm")}</p>
              <p class="wegwijzer-actions">
                <button type="button" class="button" onClick={() => void renew()}>
                  {t("wegwijzer.calendar.renew.yes")}
                </button>
                <button type="button" class="link-button" onClick={() => setAsking(false)}>
                  {t("wegwijzer.calendar.renew.no")}
                </button>
              </p>
            </div>
          )}
        </>
      )}
      <p class="small" role="status">
        {status}
      </p>
    </section>
  );
}
