// One case as the assigned assessor reads it: the frozen portfolio (A1-A4 as written, the reflection
// meetings with their proof), the PE activities with their points and evidence, and the way to the form.
import type { ComponentChildren } from "preact";
import type { Shown } from "../../api/client";
import { ProblemBox } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, formatNumber, type TextKey, useT } from "../../i18n";
import { Link, usePlace } from "../../router";
import {
  A_PARTS,
  type CaseDetail,
  type CheckedActivity,
  evidenceOf,
  getCase,
  getPeCheck,
  getSubmission,
  isOverdue,
  type PeCheck,
  roundToFill,
  type Submission,
} from "./data";
import { FileView } from "./FileView";
import "./assessor.css";

export const formHref = (id: string | undefined) => `/beoordelingen/formulier?id=${encodeURIComponent(id ?? "")}`;

interface Loaded {
  found: CaseDetail;
  submission: Submission | null;
  submissionProblem: Shown | null;
  pe: PeCheck | null;
  peProblem: Shown | null;
}

async function load(id: string): Promise<{ ok: true; data: Loaded } | { ok: false; problem: Shown }> {
  const found = await getCase(id);
  if (!found.ok) return found;
  // After a supplement the portfolio to read is the supplement's own snapshot (the revised parts in it).
  const submissionId = found.data.supplement?.supplement_submission_id ?? found.data.submission_id;
  const [submission, pe] = await Promise.all([getSubmission(submissionId), getPeCheck(id)]);
  return {
    ok: true,
    data: {
      found: found.data,
      submission: submission.ok ? submission.data : null,
      submissionProblem: submission.ok ? null : submission.problem,
      pe: pe.ok ? pe.data : null,
      peProblem: pe.ok ? null : pe.problem,
    },
  };
}

export function CaseScreen() {
  const t = useT();
  const { query } = usePlace();
  const id = query.get("id") ?? "";
  const { data, problem, reload } = useLoad(() => load(id), [id]);
  const name = data?.found.jobcoach_name;
  return (
    <Page title={name ? t("assessor.case.title", { name }) : t("assessor.case.title.plain")}>
      <p>
        <Link href="/beoordelingen">{t("assessor.back")}</Link>
      </p>
      {problem ? (
        <ProblemBox problem={problem} />
      ) : !data ? (
        <p aria-busy="true">{t("app.loading")}</p>
      ) : (
        <>
          <Facts found={data.found} />
          {data.submission ? (
            <Portfolio found={data.found} submission={data.submission} />
          ) : (
            <Unavailable problem={data.submissionProblem} retry={reload} what={t("assessor.case.portfolio")} />
          )}
          {data.pe ? (
            <PeActivities pe={data.pe} />
          ) : (
            <Unavailable problem={data.peProblem} retry={reload} what={t("assessor.pe.title")} />
          )}
        </>
      )}
    </Page>
  );
}

function Unavailable({ problem, retry, what }: { problem: Shown | null; retry: () => void; what: string }) {
  const t = useT();
  return (
    <section class="notice" aria-label={what}>
      <p class="problem-title">{t("assessor.unavailable", { what })}</p>
      {problem && <p>{problem.title}{problem.detail ? `: ${problem.detail}` : ""}</p>}
      <button type="button" class="button" onClick={retry}>
        {t("home.missing.retry")}
      </button>
    </section>
  );
}

function Facts({ found }: { found: CaseDetail }) {
  const t = useT();
  const round = roundToFill(found);
  const late = isOverdue(found.due_on) && found.stage !== null;
  const given = found.advices ?? [];
  return (
    <>
      <dl class="as-facts">
        <Fact term={t("assessor.case.state")}>
          <span data-field="state">{t(`assessor.state.${found.state ?? "assigned"}` as TextKey)}</span>
        </Fact>
        {found.submitted_at && <Fact term={t("assessor.case.submitted")}>{formatDate(found.submitted_at)}</Fact>}
        {found.due_on && (
          <Fact term={t("assessor.worklist.due")}>
            <span data-field="due">{formatDate(found.due_on)}</span>
            {late && <strong class="as-overdue"> {t("assessor.overdue")}</strong>}
          </Fact>
        )}
        {found.certificate_expires_on && (
          <Fact term={t("assessor.case.expires")}>{formatDate(found.certificate_expires_on)}</Fact>
        )}
      </dl>
      <section aria-labelledby="form-link-title" class="as-form-link">
        <h2 id="form-link-title">{t("assessor.form.title")}</h2>
        {round !== null ? (
          <p>
            <Link href={formHref(found.id)} class="button primary">
              {round === 2 ? t("assessor.case.fill.2") : t("assessor.case.fill.1")}
            </Link>
          </p>
        ) : given.length > 0 ? (
          <p>
            <Link href={formHref(found.id)}>{t("assessor.case.view_form")}</Link>
          </p>
        ) : (
          <p>{t("assessor.case.no_form")}</p>
        )}
        {given.length > 0 && (
          <ul>
            {given.map((advice) => (
              <li key={advice.round} data-round={advice.round}>
                {t("assessor.case.advice_given", {
                  round: advice.round ?? 1,
                  advice: t(`assessor.advice.${advice.advice ?? "positive"}` as TextKey),
                  date: formatDate(advice.given_at ?? ""),
                })}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function Fact({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Portfolio({ found, submission }: { found: CaseDetail; submission: Submission }) {
  const t = useT();
  const snapshot = submission.snapshot;
  const parts = snapshot.parts;
  const meetings = snapshot.reflection_meetings;
  const revised = new Set(snapshot.supplement?.parts ?? []);
  const reportMeeting = parts.A3.meeting_id;
  const submissionId = submission.id;
  return (
    <>
      <section aria-labelledby="parts-title">
        <h2 id="parts-title">{t("assessor.case.portfolio")}</h2>
        {submission.kind === "supplement" && (
          <div class="notice">
            <p>{t("assessor.case.supplement", { date: formatDate(submission.submitted_at ?? "") })}</p>
            <ul>
              {(snapshot.supplement?.assignments ?? []).map((a, index) => (
                <li key={index}>
                  <strong>{a.part}</strong>: {a.assignment}
                </li>
              ))}
            </ul>
          </div>
        )}
        {submission.hash_verified === false && <p class="problem">{t("assessor.case.hash_broken")}</p>}
        {A_PARTS.map((name) => {
          const part = parts[name];
          return (
            <article key={name} class="as-part" data-part={name} aria-labelledby={`part-${name}`}>
              <h3 id={`part-${name}`}>
                {t(`assessor.part.${name}` as TextKey)}
                {revised.has(name) && <span class="as-tag"> {t("assessor.case.revised")}</span>}
              </h3>
              <div class="as-text" data-field="text">
                {part?.text?.trim() ? part.text : <em>{t("assessor.case.empty")}</em>}
              </div>
              {name === "A1" && (
                <ul class="small">
                  <li>
                    {part?.executive_jobcoach_declared_at
                      ? t("assessor.case.declared.past", { date: formatDate(part.executive_jobcoach_declared_at) })
                      : t("assessor.case.declared.none")}
                  </li>
                  {part?.currently_executive_jobcoach_declared_at && (
                    <li>{t("assessor.case.declared.now", { date: formatDate(part.currently_executive_jobcoach_declared_at) })}</li>
                  )}
                </ul>
              )}
            </article>
          );
        })}
      </section>
      <section aria-labelledby="meetings-title">
        <h2 id="meetings-title">{t("assessor.meetings.title")}</h2>
        <p>
          {t("assessor.meetings.count", {
            count: meetings.length,
            required: snapshot.required_reflection_meetings ?? 0,
          })}
        </p>
        <ul class="as-meetings">
          {meetings.map((meeting) => {
            const title = t("assessor.meeting.name", {
              kind: t(`portfolio.kind.${meeting.kind ?? "intervision"}` as TextKey),
              date: formatDate(meeting.met_on ?? ""),
            });
            const who = [meeting.group_name, meeting.supervisor_name].filter(Boolean).join(", ");
            return (
              <li key={meeting.id} data-meeting={meeting.id}>
                <h3>{title}</h3>
                <p>
                  {who}
                  {meeting.duration_minutes ? ` · ${t("portfolio.meeting.minutes", { count: meeting.duration_minutes })}` : ""}
                  {meeting.source === "noloc" ? ` · ${t("assessor.meeting.noloc")}` : ""}
                </p>
                {meeting.id === reportMeeting && <p class="as-tag">{t("assessor.meeting.report")}</p>}
                {meeting.proof?.id ? (
                  <FileView
                    source={{ kind: "proof", submissionId, meetingId: meeting.id ?? "" }}
                    filename={meeting.proof.filename ?? t("assessor.meeting.proof")}
                    contentType={meeting.proof.content_type}
                    bytes={meeting.proof.size}
                  />
                ) : (
                  <p class="small">{meeting.source === "noloc" ? t("assessor.meeting.proof.noloc") : t("assessor.meeting.proof.none")}</p>
                )}
              </li>
            );
          })}
        </ul>
      </section>
      {found.pe_check && (
        <p data-field="pe-check">
          {found.pe_check.passed ? t("assessor.pe.check.passed") : t("assessor.pe.check.failed")}
        </p>
      )}
    </>
  );
}

function PeActivities({ pe }: { pe: PeCheck }) {
  const t = useT();
  const activities = pe.activities ?? [];
  return (
    <section aria-labelledby="pe-title">
      <h2 id="pe-title">{t("assessor.pe.title")}</h2>
      <p data-field="pe-total">
        {t("assessor.pe.total", {
          counted: formatNumber(pe.counted_total ?? "0"),
          required: formatNumber(pe.required_total ?? "0"),
        })}
      </p>
      <ul class="as-activities">
        {activities.map((activity) => (
          <ActivityItem key={activity.activity_id} activity={activity} />
        ))}
      </ul>
    </section>
  );
}

function ActivityItem({ activity }: { activity: CheckedActivity }) {
  const t = useT();
  const files = evidenceOf(activity);
  const unit = activity.unit ? t(`assessor.unit.${activity.unit}` as TextKey) : "";
  return (
    <li data-activity={activity.activity_id}>
      <h3>{activity.title ?? t("assessor.pe.unknown")}</h3>
      <p>
        {[
          activity.category_number ? t("assessor.pe.category", { number: activity.category_number }) : "",
          activity.completed_on ? formatDate(activity.completed_on) : "",
          activity.amount ? `${formatNumber(activity.amount)} ${unit}` : "",
        ]
          .filter(Boolean)
          .join(" · ")}
      </p>
      <p data-field="points">
        <strong>{t("assessor.pe.points", { points: formatNumber(activity.points ?? "0") })}</strong>
        {activity.counted === false && ` · ${t("assessor.pe.not_counted")}`}
        {activity.rejection && ` · ${t("assessor.pe.rejected", { reason: activity.rejection.reason ?? "" })}`}
      </p>
      {files.length === 0 ? (
        <p class="small">{activity.source === "noloc_academy" ? t("assessor.pe.academy") : t("assessor.pe.no_evidence")}</p>
      ) : (
        files.map((file) => (
          <FileView
            key={file.evidence_id}
            source={{ kind: "evidence", evidenceId: file.evidence_id ?? "" }}
            filename={file.filename ?? t("assessor.pe.evidence")}
            contentType={file.content_type}
            bytes={file.size}
          />
        ))
      )}
    </li>
  );
}
