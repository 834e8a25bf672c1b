// The DNV officer's screens (issue 13): the overview (GET /api/v1/overview, composed: its missing parts
// shown as such), the cases by state, a case with its audit trail, the PE check, assigning an assessor, the
// decision and the objections; the certificate CSV import; the e-mails that failed to send. An objection
// against the postponement on part B after a failed PE check (pe_supplement_due) says before it is upheld
// what that does there: the decision and its supplement lapse and the case goes back to the PE check
// (ADR 0011 amended), where the PE check screen offers the check again.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Outcome, type Shown } from "../../api/client";
import { authorized, session } from "../../auth";
import { SelectField, TextAreaField } from "../../components/fields";
import { OtherErrors, ProblemBox, Submit, useSubmit } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, formatNumber, language, type TextKey, useT } from "../../i18n";
import { Link, navigate, usePlace } from "../../router";
import { useStore } from "../../store";
import { roleName } from "../account/roles";
import {
  type Advice,
  auditAction,
  type AssessorOption,
  type CaseDetail,
  type CaseSummary,
  type CheckedActivity,
  caseHref,
  categoryName,
  type Decision,
  evidenceOf,
  type EvidenceFile,
  getCase,
  type ImportResult,
  type LineProblem,
  linesOf,
  type Overview as OverviewData,
  type PeCheck as PeCheckData,
  reference,
  STATES,
  stateKey,
  useKeptText,
} from "./data";
import { saveBlob } from "../../components/files";
import "./dnv.css";

function Loading() {
  const t = useT();
  return <p aria-busy="true">{t("app.loading")}</p>;
}

function date(iso: string | null | undefined): string {
  return iso ? formatDate(iso) : "–";
}

function dateTime(iso: string | undefined): string {
  if (!iso) return "–";
  return new Intl.DateTimeFormat(language.get() === "nl" ? "nl-NL" : "en-GB", {
    day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
}

function points(value: string | null | undefined): string {
  return value == null ? "–" : formatNumber(value);
}

function Notice({ children }: { children: preact.ComponentChildren }) {
  return (
    <div class="notice done" role="status">
      {children}
    </div>
  );
}

/** Radio buttons in a fieldset with their errors next to them (aria-invalid and aria-describedby on each
 * button, as the assessor's form has them): the API's errors on `errorKey`, or the form's own when nothing
 * was chosen. */
function ChoiceGroup<V extends string>({ name, errorKey, legend, options, value, choose, problem, describedBy }: {
  name: string;
  errorKey: string;
  legend: string;
  options: { value: V; text: string }[];
  value: V | "";
  choose: (value: V) => void;
  problem: Shown | null;
  /** The id of a text outside the group that explains the choices offered (read out with each choice). */
  describedBy?: string;
}) {
  const t = useT();
  const messages = problem?.errors[errorKey] ?? [];
  const errorId = `field-${name}-error`;
  const described = [describedBy ?? "", messages.length ? errorId : ""].filter(Boolean).join(" ");
  return (
    <fieldset id={`field-${name}`} class={messages.length ? "field-invalid" : undefined}>
      <legend>
        {legend} <span class="required">({t("form.required")})</span>
      </legend>
      {messages.length > 0 && (
        <ul class="field-error" id={errorId}>
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      {options.map((option) => (
        <div class="check" key={option.value}>
          <input
            type="radio"
            id={`${name}-${option.value}`}
            name={name}
            checked={value === option.value}
            aria-invalid={messages.length ? "true" : undefined}
            aria-describedby={described || undefined}
            onChange={() => choose(option.value)}
          />
          <label for={`${name}-${option.value}`}>{option.text}</label>
        </div>
      ))}
    </fieldset>
  );
}

/** The refusal of a form sent without its required choice: shown as the API's refusals are (the problem
 * box, focused, and the message next to the choice), and nothing sent. */
function nothingChosen(t: ReturnType<typeof useT>, field: string, message: string): Promise<Outcome<never>> {
  return Promise.resolve({
    ok: false,
    problem: { status: 422, title: t("dnv.choice.missing"), detail: t("dnv.choice.missing.detail"), errors: { [field]: [message] } },
  });
}

function BackToCase({ id }: { id: string }) {
  const t = useT();
  return (
    <p>
      <Link href={caseHref(id)}>{t("dnv.case.back")}</Link>
    </p>
  );
}

// --- the overview --------------------------------------------------------------------------------------

type Part = OverviewData["missing"][number];

export function Overview() {
  const t = useT();
  const { data, problem, reload } = useLoad(() => authorized(() => api.GET("/api/v1/overview")));
  const missing = (part: Part) => data?.missing.includes(part);
  return (
    <Page title={t("dnv.overview.title")}>
      <ProblemBox problem={problem} />
      {!data && !problem && <Loading />}
      {data && (
        <>
          {data.missing.length > 0 && (
            <div class="problem" role="alert">
              <p class="problem-title">{t("dnv.missing.title")}</p>
              <p>{t("dnv.missing.intro")}</p>
              <ul>
                {data.missing.map((part) => (
                  <li key={part}>{t(`dnv.part.${part}` as TextKey)}</li>
                ))}
              </ul>
              <button type="button" class="button" onClick={reload}>
                {t("dnv.missing.retry")}
              </button>
            </div>
          )}
          <section aria-labelledby="dnv-waiting" class="dnv-section">
            <h2 id="dnv-waiting">{t("dnv.part.pe_checks_waiting")}</h2>
            {missing("pe_checks_waiting") || !data.pe_checks_waiting ? (
              <p class="unavailable">{t("dnv.unavailable")}</p>
            ) : (
              <>
                <p>{t("dnv.waiting.count", { count: data.pe_checks_waiting.total ?? 0 })}</p>
                <CaseTable cases={data.pe_checks_waiting.items ?? []} caption={t("dnv.part.pe_checks_waiting")} />
              </>
            )}
          </section>
          <section aria-labelledby="dnv-overdue" class="dnv-section">
            <h2 id="dnv-overdue">{t("dnv.part.overdue")}</h2>
            {missing("overdue") || !data.overdue ? (
              <p class="unavailable">{t("dnv.unavailable")}</p>
            ) : (
              <>
                <p>
                  {t("dnv.overdue.count", { overdue: data.overdue.overdue ?? 0, soon: data.overdue.due_soon ?? 0 })}
                </p>
                {(data.overdue.items ?? []).length < (data.overdue.overdue ?? 0) + (data.overdue.due_soon ?? 0) && (
                  <p data-testid="overdue-shown">
                    {t("dnv.overdue.shown", { shown: (data.overdue.items ?? []).length })}
                  </p>
                )}
                {(data.overdue.items ?? []).length > 0 && (
                  <div class="table-scroll" tabIndex={0} role="region" aria-label={t("dnv.part.overdue")}>
                    <table class="dnv-table" data-list="overdue">
                      <caption class="visually-hidden">{t("dnv.part.overdue")}</caption>
                      <thead>
                        <tr>
                          <th scope="col">{t("dnv.col.jobcoach")}</th>
                          <th scope="col">{t("dnv.col.due")}</th>
                          <th scope="col">{t("dnv.col.status")}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {(data.overdue.items ?? []).map((item) => (
                          <tr key={item.case?.id} data-case={item.case?.id}>
                            <td>
                              <Link href={caseHref(item.case?.id)}>{item.case?.jobcoach_name ?? t("dnv.case.ref", { ref: reference(item.case?.id) })}</Link>
                            </td>
                            <td>{date(item.case?.due_on)}</td>
                            <td>
                              {item.status === "overdue"
                                ? t("dnv.overdue.days", { days: item.days_overdue ?? 0 })
                                : t("dnv.overdue.soon")}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </>
            )}
          </section>
          <section aria-labelledby="dnv-states" class="dnv-section">
            <h2 id="dnv-states">{t("dnv.part.cases_by_state")}</h2>
            {missing("cases_by_state") || !data.cases_by_state ? (
              <p class="unavailable">{t("dnv.unavailable")}</p>
            ) : (
              <ul class="dnv-states">
                {STATES.map((state) => (
                  <li key={state} data-state={state}>
                    <Link href={`/dnv/zaken?status=${state}`}>
                      {t(stateKey(state))}: <strong>{data.cases_by_state?.[state] ?? 0}</strong>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </Page>
  );
}

function CaseTable({ cases, caption }: { cases: CaseSummary[]; caption: string }) {
  const t = useT();
  if (!cases.length) return <p>{t("dnv.cases.none")}</p>;
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={caption}>
      <table class="dnv-table" data-list="cases">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("dnv.col.jobcoach")}</th>
            <th scope="col">{t("dnv.col.state")}</th>
            <th scope="col">{t("dnv.col.submitted")}</th>
            <th scope="col">{t("dnv.col.due")}</th>
          </tr>
        </thead>
        <tbody>
          {cases.map((item) => (
            <tr key={item.id} data-case={item.id}>
              <td>
                <Link href={caseHref(item.id)}>{item.jobcoach_name ?? t("dnv.case.ref", { ref: reference(item.id) })}</Link>
              </td>
              <td>{t(stateKey(item.state))}</td>
              <td>{date(item.submitted_at)}</td>
              <td>{date(item.due_on)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// --- the cases, filtered by state ----------------------------------------------------------------------

const PAGE_SIZE = 25;

export function Cases() {
  const t = useT();
  const { query } = usePlace();
  const asked = query.get("status") ?? "";
  const state = STATES.find((s) => s === asked) ?? "";
  const jobcoach = query.get("jobcoach") ?? "";
  const page = Math.max(1, Number(query.get("pagina") ?? "1") || 1);
  const { data, problem } = useLoad(
    () =>
      authorized(() =>
        api.GET("/api/v1/cases", {
          params: {
            query: {
              page,
              page_size: PAGE_SIZE,
              ...(state ? { state } : {}),
              ...(jobcoach ? { account_id: jobcoach } : {}),
            },
          },
        }),
      ),
    [state, jobcoach, page],
  );
  const href = (changes: Record<string, string>) => {
    const next = new URLSearchParams({ ...(state ? { status: state } : {}), ...(jobcoach ? { jobcoach } : {}), ...changes });
    for (const [key, value] of [...next]) if (!value) next.delete(key);
    return `/dnv/zaken${next.size ? `?${next}` : ""}`;
  };
  const total = data?.total ?? 0;
  return (
    <Page title={t("dnv.cases.title")}>
      <form class="dnv-filter" onSubmit={(event) => event.preventDefault()}>
        <SelectField
          name="status"
          label={t("dnv.cases.filter")}
          value={state}
          onValue={(value) => navigate(href({ status: value, pagina: "" }), { replace: true })}
          options={[{ value: "", text: t("dnv.cases.all") }, ...STATES.map((s) => ({ value: s, text: t(stateKey(s)) }))]}
        />
      </form>
      {jobcoach && (
        <p>
          {t("dnv.cases.one_jobcoach")} <Link href={href({ jobcoach: "" })}>{t("dnv.cases.everyone")}</Link>
        </p>
      )}
      <ProblemBox problem={problem} />
      {!data && !problem && <Loading />}
      {data && (
        <>
          <p role="status">{t("dnv.cases.count", { count: total })}</p>
          <CaseTable cases={data.items ?? []} caption={t("dnv.cases.title")} />
          {total > PAGE_SIZE && (
            <nav class="dnv-pages" aria-label={t("dnv.cases.pages")}>
              {page > 1 && <Link href={href({ pagina: String(page - 1) })}>{t("dnv.cases.previous")}</Link>}
              <span>{t("dnv.cases.page", { page, pages: Math.ceil(total / PAGE_SIZE) })}</span>
              {page * PAGE_SIZE < total && <Link href={href({ pagina: String(page + 1) })}>{t("dnv.cases.next")}</Link>}
            </nav>
          )}
        </>
      )}
    </Page>
  );
}

// --- a case --------------------------------------------------------------------------------------------

function useCaseId(): string {
  return usePlace().query.get("id") ?? "";
}

const DECIDABLE = new Set(["advised", "reassessed", "pe_check_failed", "objection_upheld", "supplement_due", "pe_supplement_due"]);
const ASSIGNABLE = new Set(["ready_for_assignment", "assigned"]);

function CaseFacts({ view }: { view: CaseDetail }) {
  const t = useT();
  return (
    <dl class="facts dnv-facts">
      <dt>{t("dnv.case.jobcoach")}</dt>
      <dd data-field="jobcoach">{view.jobcoach_name ?? t("dnv.case.unknown_name")}</dd>
      <dt>{t("dnv.col.state")}</dt>
      <dd data-field="state">{t(stateKey(view.state))}</dd>
      <dt>{t("dnv.col.due")}</dt>
      <dd data-field="due">{date(view.due_on)}</dd>
      <dt>{t("dnv.col.submitted")}</dt>
      <dd>{date(view.submitted_at)}</dd>
      <dt>{t("dnv.case.expires")}</dt>
      <dd>{date(view.certificate_expires_on)}</dd>
      <dt>{t("dnv.case.assessor")}</dt>
      <dd data-field="assessor">{view.assessor_name ?? t("dnv.case.no_assessor")}</dd>
      <dt>{t("dnv.case.paid")}</dt>
      <dd data-field="paid">{view.paid === true ? t("dnv.yes") : t("dnv.no")}</dd>
      {view.supplement_due_on && (
        <>
          <dt>{t("dnv.case.supplement_due")}</dt>
          <dd data-field="supplement-due-on">
            {date(view.supplement_due_on)}
            {view.supplement_missed_at && <> · {t("dnv.case.supplement_missed", { date: dateTime(view.supplement_missed_at) })}</>}
          </dd>
        </>
      )}
    </dl>
  );
}

export function Case() {
  const t = useT();
  const id = useCaseId();
  const { data, problem, reload } = useLoad(async () => {
    const [view, audit] = await Promise.all([
      getCase(id),
      authorized(() => api.GET("/api/v1/cases/{case_id}/audit", { params: { path: { case_id: id } } })),
    ]);
    if (!view.ok) return view;
    return { ok: true as const, data: { view: view.data, audit: audit.ok ? audit.data : null } };
  }, [id]);
  const view = data?.view;
  const name = view ? view.jobcoach_name ?? t("dnv.case.unknown_name") : "";
  return (
    <Page title={view ? t("dnv.case.title", { name }) : t("dnv.case.title.plain")}>
      <p>
        <Link href="/dnv">{t("dnv.back.overview")}</Link>
      </p>
      <ProblemBox problem={problem} />
      {!data && !problem && <Loading />}
      {view && data && (
        <>
          <p class="small">{t("dnv.case.ref", { ref: reference(view.id) })}</p>
          <CaseFacts view={view} />
          <section aria-labelledby="dnv-steps" class="dnv-section">
            <h2 id="dnv-steps">{t("dnv.case.steps")}</h2>
            <ul class="links">
              <li>
                <Link href={caseHref(id, "/pe-toets")}>
                  {view.state === "opened" || view.state === "pe_supplement_received" ? t("dnv.case.do_pe_check") : t("dnv.case.see_pe_check")}
                </Link>
              </li>
              {ASSIGNABLE.has(view.state ?? "") && (
                <li>
                  <Link href={caseHref(id, "/beoordelaar")}>{t("dnv.case.assign")}</Link>
                </li>
              )}
              {DECIDABLE.has(view.state ?? "") && (
                <li>
                  <Link href={caseHref(id, "/besluit")}>{t("dnv.case.decide")}</Link>
                </li>
              )}
            </ul>
          </section>
          <Advices view={view} />
          <Decisions decisions={view.decisions ?? []} />
          <Objections view={view} changed={reload} />
          <section aria-labelledby="dnv-audit" class="dnv-section">
            <h2 id="dnv-audit">{t("dnv.audit.title")}</h2>
            {data.audit === null ? (
              <p class="unavailable">{t("dnv.unavailable")}</p>
            ) : (
              <ol class="dnv-audit">
                {data.audit.map((entry, n) => (
                  <li key={n}>
                    <span class="small">{dateTime(entry.at)}</span>{" "}
                    {t("dnv.audit.entry", {
                      action: auditAction(t, entry.action),
                      who: entry.actor_id ? roleName(t, entry.role ?? "") : t("dnv.audit.system"),
                    })}
                  </li>
                ))}
              </ol>
            )}
          </section>
        </>
      )}
    </Page>
  );
}

function adviceText(t: (key: TextKey) => string, advice: string | undefined): string {
  return advice ? t(`dnv.advice.${advice}` as TextKey) : "–";
}

function Advices({ view }: { view: CaseDetail }) {
  const t = useT();
  const advices = view.advices ?? [];
  return (
    <section aria-labelledby="dnv-advices" class="dnv-section">
      <h2 id="dnv-advices">{t("dnv.advices.title")}</h2>
      {advices.length === 0 ? (
        <p>{t("dnv.advices.none")}</p>
      ) : (
        <ul class="dnv-cards">
          {advices.map((advice) => (
            <li key={advice.round} data-advice={advice.round}>
              <p>
                {t("dnv.advices.item", { round: advice.round ?? 0, advice: adviceText(t, advice.advice), at: dateTime(advice.given_at) })}
              </p>
              <FormPdf caseId={view.id ?? ""} round={advice.round ?? 1} />
              {(advice.supplements ?? []).length > 0 && (
                <ul>
                  {(advice.supplements ?? []).map((s) => (
                    <li key={s.part}>
                      {s.part}: {s.assignment}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The assessment form of one round as PDF, fetched with the access token and downloaded. */
function FormPdf({ caseId, round }: { caseId: string; round: number }) {
  const t = useT();
  const [problem, setProblem] = useState<Shown | null>(null);
  const download = () =>
    void authorized(() =>
      api.GET("/api/v1/cases/{case_id}/form.pdf", {
        params: { path: { case_id: caseId }, query: { round: round === 2 ? 2 : 1 } },
        parseAs: "blob",
      }),
    ).then((answer) => {
      if (!answer.ok) return setProblem(answer.problem);
      setProblem(null);
      saveBlob(answer.data as unknown as Blob, `beoordelingsformulier-ronde-${round}.pdf`);
    });
  return (
    <>
      <ProblemBox problem={problem} />
      <button type="button" class="link-button" onClick={download}>
        {t("dnv.advices.pdf", { round })}
      </button>
    </>
  );
}

function DecisionFacts({ decision }: { decision: Decision }) {
  const t = useT();
  const annulled = Boolean(decision.annulled_at);
  return (
    <>
      <p>
        {t("dnv.decisions.item", { decision: adviceText(t, decision.decision), on: date(decision.decided_on) })}{" "}
        {decision.follows_advice ? t("dnv.decisions.follows") : t("dnv.decisions.departs")}
      </p>
      {decision.reason && <p>{t("dnv.decisions.reason", { reason: decision.reason })}</p>}
      {annulled && (
        <p data-field="annulled">
          <strong>{t("dnv.decisions.annulled", { date: date(decision.annulled_at) })}</strong>
        </p>
      )}
      {!annulled && decision.supplement_due_on && (
        <p data-field="supplement-due">{t("dnv.decisions.supplement_due", { date: date(decision.supplement_due_on) })}</p>
      )}
      {!annulled && decision.objection_deadline && decision.decision !== "positive" && (
        <p>{t("dnv.decisions.objection_deadline", { date: date(decision.objection_deadline) })}</p>
      )}
    </>
  );
}

function Decisions({ decisions }: { decisions: Decision[] }) {
  const t = useT();
  return (
    <section aria-labelledby="dnv-decisions" class="dnv-section">
      <h2 id="dnv-decisions">{t("dnv.decisions.title")}</h2>
      {decisions.length === 0 ? (
        <p>{t("dnv.decisions.none")}</p>
      ) : (
        <ul class="dnv-cards">
          {decisions.map((decision) => (
            <li key={decision.id} data-decision={decision.decision} data-annulled={decision.annulled_at ? "true" : undefined}>
              <DecisionFacts decision={decision} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Whether upholding `objection` sends the case back to the PE check: it is against DNV's postponement on
 * part B after a failed PE check (round 0), which still stands while the PE supplement is due. */
function upholdingResumesPeCheck(view: CaseDetail, decisionId: string): boolean {
  const decision = (view.decisions ?? []).find((d) => d.id === decisionId);
  return (
    view.state === "pe_supplement_due" &&
    decision?.round === 0 &&
    decision.decision === "postponed" &&
    !decision.annulled_at
  );
}

/** Why the API refuses to uphold an objection (409 `objection-refused`, its `reason`). */
type UpholdRefusal = "decision_replaced" | "decided_on_pe_check";

/** Why upholding an objection against `decisionId` is refused, as the API checks it (`objection_outcome`),
 * or null while it may be upheld:
 * - `decision_replaced`: the decision is no longer the case's latest standing (not annulled) one, as when an
 *   objection against a postponed decision stayed open while the decision on the supplement replaced it;
 *   upholding it would reopen a case decided since;
 * - `decided_on_pe_check`: it is DNV's negative decision taken on the failed PE check alone (round 0, after
 *   the PE supplement failed the check too); a whole new portfolio may be under way and the certificate may
 *   have lapsed, which the platform cannot undo yet (ADR 0011, amended).
 * Either way only rejecting the objection is possible, or leaving it open. */
function upholdRefusal(view: CaseDetail, decisionId: string): UpholdRefusal | null {
  const decisions = view.decisions ?? [];
  const objected = decisions.find((d) => d.id === decisionId);
  if (!objected) return null;
  if (decisions.filter((d) => !d.annulled_at).at(-1)?.id !== decisionId) return "decision_replaced";
  return objected.round === 0 && objected.decision !== "postponed" ? "decided_on_pe_check" : null;
}

function Objections({ view, changed }: { view: CaseDetail; changed: () => void }) {
  const t = useT();
  const objections = view.objections ?? [];
  if (!objections.length) return null;
  // The objections whose upholding annulled their decision (and sent the case back to the PE check).
  const annulledBy = new Set((view.decisions ?? []).flatMap((d) => (d.annulled_by_objection_id ? [d.annulled_by_objection_id] : [])));
  return (
    <section aria-labelledby="dnv-objections" class="dnv-section">
      <h2 id="dnv-objections">{t("dnv.objections.title")}</h2>
      <ul class="dnv-cards">
        {objections.map((objection) => (
          <li key={objection.id}>
            <p>{t("dnv.objections.filed", { at: dateTime(objection.filed_at) })}</p>
            <blockquote>{objection.reason}</blockquote>
            {objection.outcome ? (
              <p data-field="objection-outcome">
                {t(
                  objection.outcome === "rejected"
                    ? "dnv.objections.rejected"
                    : annulledBy.has(objection.id ?? "")
                      ? "dnv.objections.upheld.pe_check"
                      : "dnv.objections.upheld",
                )}{" "}
                {objection.outcome_reason}
              </p>
            ) : (
              <ObjectionOutcome
                caseId={view.id ?? ""}
                objectionId={objection.id ?? ""}
                resumesPeCheck={upholdingResumesPeCheck(view, objection.decision_id ?? "")}
                refused={upholdRefusal(view, objection.decision_id ?? "")}
                changed={changed}
              />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function ObjectionOutcome({ caseId, objectionId, resumesPeCheck, refused, changed }: {
  caseId: string;
  objectionId: string;
  resumesPeCheck: boolean;
  /** Why upholding is refused here, if it is: then only "rejected" is offered, and the officer is told why
   * first. */
  refused: UpholdRefusal | null;
  changed: () => void;
}) {
  const t = useT();
  const [outcome, setOutcome] = useState<"upheld" | "rejected" | "">("");
  const [reason, setReason, clearReason] = useKeptText(`objection.${objectionId}`);
  const rejectOnly = refused !== null;
  const offered = rejectOnly ? (["rejected"] as const) : (["upheld", "rejected"] as const);
  const refusedId = `uphold-refused-${objectionId}`;
  const submit = useSubmit(
    () => {
      if (!outcome) {
        return nothingChosen(t, "outcome", t(rejectOnly ? "dnv.objections.outcome.missing.reject_only" : "dnv.objections.outcome.missing"));
      }
      return authorized(() =>
        api.POST("/api/v1/cases/{case_id}/objections/{objection_id}/outcome", {
          params: { path: { case_id: caseId, objection_id: objectionId } },
          body: { outcome, reason },
        }),
      );
    },
    () => {
      clearReason();
      changed();
    },
  );
  return (
    <form class="dnv-form" onSubmit={submit.onSubmit} noValidate>
      <ProblemBox problem={submit.problem} />
      {resumesPeCheck && (
        <p class="notice" data-field="uphold-effect">
          {t("dnv.objections.pe_check.explained")}
        </p>
      )}
      {refused && (
        <p class="notice" id={refusedId} data-field="uphold-refused" data-reason={refused}>
          {t(`dnv.objections.uphold_refused.${refused}`)}
        </p>
      )}
      <ChoiceGroup
        name={`outcome-${objectionId}`}
        errorKey="outcome"
        legend={t("dnv.objections.outcome")}
        describedBy={rejectOnly ? refusedId : undefined}
        options={offered.map((value) => ({
          value,
          text: t(value === "upheld" && resumesPeCheck ? "dnv.objections.choose.upheld.pe_check" : `dnv.objections.choose.${value}`),
        }))}
        value={outcome}
        choose={setOutcome}
        problem={submit.problem}
      />
      <TextAreaField
        name={`objection-reason-${objectionId}`}
        errorKey="reason"
        label={t("dnv.objections.reason")}
        required
        rows={4}
        value={reason}
        onValue={setReason}
        problem={submit.problem}
      />
      <OtherErrors problem={submit.problem} shown={["outcome", "reason"]} />
      <Submit busy={submit.busy}>{t("dnv.objections.submit")}</Submit>
    </form>
  );
}

// --- the PE check --------------------------------------------------------------------------------------

export function PeCheck() {
  const t = useT();
  const id = useCaseId();
  const { data, problem, setData } = useLoad(async () => {
    const [view, check] = await Promise.all([
      getCase(id),
      authorized(() => api.GET("/api/v1/cases/{case_id}/pe-check", { params: { path: { case_id: id } } })),
    ]);
    if (!view.ok) return view;
    if (!check.ok) return check;
    return { ok: true as const, data: { view: view.data, check: check.data } };
  }, [id]);
  const [status, setStatus] = useState("");
  const [actionProblem, setActionProblem] = useState<Shown | null>(null);
  const update = (check: PeCheckData, said: string) => {
    if (data) setData({ ...data, check });
    setActionProblem(null);
    setStatus(said);
  };
  const name = data ? data.view.jobcoach_name ?? t("dnv.case.unknown_name") : "";
  const check = data?.check;
  const open = check ? !check.completed : false;
  return (
    <Page title={data ? t("dnv.pe.title", { name }) : t("dnv.pe.title.plain")}>
      <BackToCase id={id} />
      <ProblemBox problem={problem} />
      {!data && !problem && <Loading />}
      {data && check && (
        <>
          {open && data.view.state === "opened" && (data.view.decisions ?? []).at(-1)?.annulled_at && (
            <p class="notice" data-field="resumed">
              {t("dnv.pe.resumed")}
            </p>
          )}
          <Rules check={check} />
          <p role="status" class="dnv-status">
            {status}
          </p>
          <ProblemBox problem={actionProblem} />
          <section aria-labelledby="dnv-activities" class="dnv-section">
            <h2 id="dnv-activities">{t("dnv.pe.activities")}</h2>
            <ul class="dnv-cards">
              {(check.activities ?? []).map((activity) => (
                <ActivityCard
                  key={activity.activity_id}
                  caseId={id}
                  activity={activity}
                  open={open}
                  done={update}
                  failed={setActionProblem}
                />
              ))}
            </ul>
          </section>
          {check.completed ? (
            <CompletedCheck check={check} />
          ) : (
            <CompleteForm caseId={id} rulesMet={check.rules_met === true} done={(next) => update(next, t("dnv.pe.completed"))} />
          )}
        </>
      )}
    </Page>
  );
}

function Rules({ check }: { check: PeCheckData }) {
  const t = useT();
  const lang = useStore(language);
  return (
    <section aria-labelledby="dnv-rules" class="dnv-section">
      <h2 id="dnv-rules">{t("dnv.pe.rules")}</h2>
      <p data-field="rules" class={check.rules_met ? "dnv-met" : "dnv-not-met"}>
        {t(check.rules_met ? "dnv.pe.rules.met" : "dnv.pe.rules.not_met", {
          counted: points(check.counted_total),
          required: points(check.required_total),
        })}
      </p>
      <p class="small">{t("dnv.pe.claimed", { points: points(check.points_claimed) })}</p>
      <div class="table-scroll" tabIndex={0} role="region" aria-label={t("dnv.pe.rules")}>
        <table class="dnv-table">
          <caption class="visually-hidden">{t("dnv.pe.rules")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dnv.pe.category")}</th>
              <th scope="col">{t("dnv.pe.counted")}</th>
              <th scope="col">{t("dnv.pe.minimum")}</th>
              <th scope="col">{t("dnv.pe.maximum")}</th>
            </tr>
          </thead>
          <tbody>
            {(check.categories ?? []).map((category) => (
              <tr key={category.number}>
                <th scope="row">
                  {category.number}. {categoryName(category.name, lang) ?? category.key}
                </th>
                <td>{points(category.counted)}</td>
                <td>{points(category.minimum)}</td>
                <td>{category.maximum == null ? "–" : points(category.maximum)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ActivityCard({ caseId, activity, open, done, failed }: {
  caseId: string;
  activity: CheckedActivity;
  open: boolean;
  done: (check: PeCheckData, said: string) => void;
  failed: (problem: Shown) => void;
}) {
  const t = useT();
  const activityId = activity.activity_id ?? "";
  const title = activity.title ?? t("dnv.pe.unknown_activity");
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason, clearReason] = useKeptText(`reject.${caseId}.${activityId}`);
  // After each step the focus goes where the next one is (the button it pressed is gone by then).
  const card = useRef<HTMLLIElement>(null);
  const focusNext = useRef<"reason" | "withdraw" | "reject" | null>(null);
  useEffect(() => {
    const target = focusNext.current;
    if (!target) return;
    focusNext.current = null;
    const selector = target === "reason" ? "textarea" : `button[data-action=${target}]`;
    card.current?.querySelector<HTMLElement>(selector)?.focus();
  });
  const reject = useSubmit(
    () =>
      authorized(() =>
        api.POST("/api/v1/cases/{case_id}/pe-check/rejections", {
          params: { path: { case_id: caseId } },
          body: { activity_id: activityId, reason },
        }),
      ),
    (check) => {
      clearReason();
      setRejecting(false);
      focusNext.current = "withdraw";
      done(check, t("dnv.pe.rejected", { title }));
    },
  );
  const withdraw = () =>
    void authorized(() =>
      api.DELETE("/api/v1/cases/{case_id}/pe-check/rejections/{activity_id}", {
        params: { path: { case_id: caseId, activity_id: activityId } },
      }),
    ).then((answer) => {
      if (!answer.ok) return failed(answer.problem);
      focusNext.current = "reject";
      done(answer.data, t("dnv.pe.withdrawn", { title }));
    });
  const headingId = `activity-${activityId}`;
  return (
    <li
      ref={card}
      class={activity.rejection ? "dnv-activity dnv-rejected" : "dnv-activity"}
      data-activity={activityId}
      aria-labelledby={headingId}
    >
      <h3 id={headingId}>{title}</h3>
      <dl class="facts">
        <dt>{t("dnv.pe.category")}</dt>
        <dd>{activity.category_number ?? "–"}</dd>
        <dt>{t("dnv.pe.completed_on")}</dt>
        <dd>{date(activity.completed_on)}</dd>
        <dt>{t("dnv.pe.amount")}</dt>
        <dd>
          {points(activity.amount)} {activity.unit ?? ""}
        </dd>
        <dt>{t("dnv.pe.points")}</dt>
        <dd data-field="points">{points(activity.points)}</dd>
        <dt>{t("dnv.pe.counts")}</dt>
        <dd data-field="counted">{activity.counted ? t("dnv.yes") : t("dnv.no")}</dd>
      </dl>
      <EvidenceList files={evidenceOf(activity)} failed={failed} />
      {activity.rejection ? (
        <div class="dnv-rejection">
          <p data-field="rejection">{t("dnv.pe.rejection", { reason: activity.rejection.reason ?? "" })}</p>
          {open && (
            <button type="button" class="button" data-action="withdraw" onClick={withdraw}>
              {t("dnv.pe.withdraw", { title })}
            </button>
          )}
        </div>
      ) : (
        open &&
        (rejecting ? (
          <form class="dnv-form" onSubmit={reject.onSubmit} noValidate>
            <ProblemBox problem={reject.problem} />
            <TextAreaField
              name={`reason-${activityId}`}
              errorKey="reason"
              label={t("dnv.pe.reason", { title })}
              required
              rows={3}
              value={reason}
              onValue={setReason}
              problem={reject.problem}
            />
            <div class="actions">
              <Submit busy={reject.busy}>{t("dnv.pe.reject.submit")}</Submit>
              <button
                type="button"
                class="button"
                onClick={() => {
                  focusNext.current = "reject";
                  setRejecting(false);
                }}
              >
                {t("dnv.cancel")}
              </button>
            </div>
          </form>
        ) : (
          <button
            type="button"
            class="button"
            data-action="reject"
            onClick={() => {
              focusNext.current = "reason";
              setRejecting(true);
            }}
          >
            {t("dnv.pe.reject", { title })}
          </button>
        ))
      )}
    </li>
  );
}

/** Evidence fetched with the access token as a Blob: an image shown inline from a blob: address (the
 * portal's CSP allows img-src blob:), any other file handed to the browser as a download. */
function EvidenceList({ files, failed }: { files: EvidenceFile[]; failed: (problem: Shown) => void }) {
  const t = useT();
  const [shown, setShown] = useState<Record<string, string>>({});
  const urls = useRef<string[]>([]);
  // The images' blob: addresses are freed when the list goes (ADR 0025).
  useEffect(() => () => urls.current.forEach((url) => URL.revokeObjectURL(url)), []);
  if (!files.length) return <p>{t("dnv.pe.no_evidence")}</p>;
  const fetchFile = (file: EvidenceFile) =>
    authorized(() =>
      api.GET("/api/v1/pe/evidence/{evidence_id}/content", {
        params: { path: { evidence_id: file.evidence_id } },
        parseAs: "blob",
      }),
    );
  const view = (file: EvidenceFile) =>
    void fetchFile(file).then((answer) => {
      if (!answer.ok) return failed(answer.problem);
      const blob = answer.data as unknown as Blob; // parseAs "blob": openapi-fetch types it as the JSON
      if (file.content_type.startsWith("image/")) {
        const url = URL.createObjectURL(blob);
        urls.current.push(url);
        setShown((current) => ({ ...current, [file.evidence_id]: url }));
        return;
      }
      saveBlob(blob, file.filename);
    });
  return (
    <ul class="dnv-evidence">
      {files.map((file) => (
        <li key={file.evidence_id}>
          <button type="button" class="link-button" onClick={() => view(file)}>
            {file.content_type.startsWith("image/")
              ? t("dnv.pe.evidence.show", { name: file.filename })
              : t("dnv.pe.evidence.download", { name: file.filename })}
          </button>
          {shown[file.evidence_id] && <img src={shown[file.evidence_id]} alt={file.filename} class="dnv-image" />}
        </li>
      ))}
    </ul>
  );
}

function CompletedCheck({ check }: { check: PeCheckData }) {
  const t = useT();
  const done = check.completed;
  if (!done) return null;
  return (
    <section aria-labelledby="dnv-completed" class="dnv-section">
      <h2 id="dnv-completed">{t("dnv.pe.result")}</h2>
      <p data-field="result">
        {t(done.passed ? "dnv.pe.result.passed" : "dnv.pe.result.failed", {
          at: dateTime(done.completed_at),
          counted: points(done.points_counted),
        })}
      </p>
      {(done.findings ?? []).length > 0 && (
        <ul>
          {(done.findings ?? []).map((finding, n) => (
            <li key={n}>{finding.text}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CompleteForm({ caseId, rulesMet, done }: { caseId: string; rulesMet: boolean; done: (check: PeCheckData) => void }) {
  const t = useT();
  const [passed, setPassed] = useState<"" | "passed" | "failed">("");
  const [findings, setFindings, clearFindings] = useKeptText(`findings.${caseId}`);
  const submit = useSubmit(
    () => {
      if (!passed) return nothingChosen(t, "passed", t("dnv.pe.outcome.missing"));
      return authorized(() =>
        api.POST("/api/v1/cases/{case_id}/pe-check", {
          params: { path: { case_id: caseId } },
          body: {
            passed: passed === "passed",
            findings: findings
              .split("\n")
              .map((line) => line.trim())
              .filter(Boolean)
              .map((line) => ({ text: line })),
          },
        }),
      );
    },
    (check) => {
      clearFindings();
      done(check);
    },
  );
  return (
    <section aria-labelledby="dnv-complete" class="dnv-section">
      <h2 id="dnv-complete">{t("dnv.pe.complete")}</h2>
      <form class="dnv-form" onSubmit={submit.onSubmit} noValidate>
        <ProblemBox problem={submit.problem} />
        <ChoiceGroup
          name="pe"
          errorKey="passed"
          legend={t("dnv.pe.outcome")}
          options={(["passed", "failed"] as const).map((value) => ({ value, text: t(`dnv.pe.outcome.${value}`) }))}
          value={passed}
          choose={setPassed}
          problem={submit.problem}
        />
        {!rulesMet && <p class="hint">{t("dnv.pe.not_met.hint")}</p>}
        <TextAreaField
          name="findings"
          label={t("dnv.pe.findings")}
          hint={t("dnv.pe.findings.hint")}
          required={passed === "failed"}
          rows={4}
          value={findings}
          onValue={setFindings}
          problem={submit.problem}
        />
        <OtherErrors problem={submit.problem} shown={["passed", "findings"]} />
        <Submit busy={submit.busy}>{t("dnv.pe.complete.submit")}</Submit>
      </form>
    </section>
  );
}

// --- assigning an assessor -----------------------------------------------------------------------------

export function Assign() {
  const t = useT();
  const id = useCaseId();
  const { data, problem, reload } = useLoad(async () => {
    const [view, assessors] = await Promise.all([
      getCase(id),
      authorized(() => api.GET("/api/v1/cases/{case_id}/assessors", { params: { path: { case_id: id } } })),
    ]);
    if (!view.ok) return view;
    if (!assessors.ok) return assessors;
    return { ok: true as const, data: { view: view.data, assessors: assessors.data } };
  }, [id]);
  const [chosen, setChosen] = useState("");
  const [said, setSaid] = useState("");
  const submit = useSubmit(
    () => authorized(() => api.POST("/api/v1/cases/{case_id}/assessor", { params: { path: { case_id: id } }, body: { assessor_id: chosen } })),
    (view) => {
      setSaid(t("dnv.assign.done", { name: view.assessor_name ?? "" }));
      reload();
    },
  );
  const name = data ? data.view.jobcoach_name ?? t("dnv.case.unknown_name") : "";
  return (
    <Page title={data ? t("dnv.assign.title", { name }) : t("dnv.assign.title.plain")}>
      <BackToCase id={id} />
      <ProblemBox problem={problem} />
      {!data && !problem && <Loading />}
      {said && <Notice>{said}</Notice>}
      {data && (
        <>
          <CaseFacts view={data.view} />
          {ASSIGNABLE.has(data.view.state ?? "") ? (
            <form class="dnv-form" onSubmit={submit.onSubmit} noValidate>
              <ProblemBox problem={submit.problem} />
              <fieldset class="dnv-assessors">
                <legend>{t("dnv.assign.choose")}</legend>
                {data.assessors.length === 0 && <p>{t("dnv.assign.none")}</p>}
                {data.assessors.map((option) => (
                  <AssessorChoice key={option.assessor_id} option={option} chosen={chosen} choose={setChosen} />
                ))}
              </fieldset>
              <OtherErrors problem={submit.problem} shown={[]} />
              <Submit busy={submit.busy}>{t("dnv.assign.submit")}</Submit>
            </form>
          ) : (
            <p>{t("dnv.assign.not_now", { state: t(stateKey(data.view.state)) })}</p>
          )}
        </>
      )}
    </Page>
  );
}

function AssessorChoice({ option, chosen, choose }: { option: AssessorOption; chosen: string; choose: (id: string) => void }) {
  const t = useT();
  const id = `assessor-${option.assessor_id}`;
  return (
    <div class={option.eligible ? "check" : "check dnv-excluded"} data-assessor={option.assessor_id}>
      <input
        type="radio"
        id={id}
        name="assessor"
        disabled={!option.eligible}
        checked={chosen === option.assessor_id}
        aria-describedby={option.eligible ? undefined : `${id}-why`}
        onChange={() => choose(option.assessor_id ?? "")}
      />
      <label for={id}>
        {option.full_name}
        {option.assigned && ` (${t("dnv.assign.current")})`}
      </label>
      {!option.eligible && (
        <p class="hint" id={`${id}-why`} data-field="excluded">
          {t("dnv.assign.excluded", { reason: option.reason ?? "" })}
        </p>
      )}
    </div>
  );
}

// --- the decision --------------------------------------------------------------------------------------

const DECISIONS = ["positive", "postponed", "negative"] as const;

export function Decide() {
  const t = useT();
  const id = useCaseId();
  const { data, problem, reload } = useLoad(() => getCase(id), [id]);
  const [choice, setChoice] = useState<Advice | "">("");
  const [reason, setReason, clearReason] = useKeptText(`decision.${id}`);
  const [decided, setDecided] = useState<Decision | null>(null);
  const advices = data?.advices ?? [];
  const advice = advices.length ? advices[advices.length - 1]?.advice : undefined;
  const departs = choice !== "" && advice !== undefined && choice !== advice;
  const sent = useRef<Advice | "">("");
  const submit = useSubmit(
    () => {
      if (!choice) return nothingChosen(t, "decision", t("dnv.decide.missing"));
      sent.current = choice;
      return authorized(() =>
        api.POST("/api/v1/cases/{case_id}/decision", {
          params: { path: { case_id: id } },
          body: { decision: choice, reason: asksReason ? reason : null },
        }),
      );
    },
    (decision) => {
      clearReason();
      setDecided(decision);
      reload();
    },
  );
  // The reason's field: when the choice departs from the advice, and when the API asked a reason for the
  // choice still made (an advice that came in meanwhile), so that it can be given next to its error. Any
  // other reason error is listed with the problem: never hidden.
  const asksReason: boolean =
    departs || ((submit.problem?.errors["reason"] ?? []).length > 0 && choice === sent.current);
  const name = data ? data.jobcoach_name ?? t("dnv.case.unknown_name") : "";
  return (
    <Page title={data ? t("dnv.decide.title", { name }) : t("dnv.decide.title.plain")}>
      <BackToCase id={id} />
      <ProblemBox problem={problem} />
      {!data && !problem && <Loading />}
      {decided && (
        <Notice>
          <p>{t("dnv.decide.done")}</p>
          <DecisionFacts decision={decided} />
        </Notice>
      )}
      {data && !decided && (
        <>
          <CaseFacts view={data} />
          <p data-field="advice">
            {advice ? t("dnv.decide.advice", { advice: adviceText(t, advice) }) : t("dnv.decide.no_advice")}
          </p>
          <form class="dnv-form" onSubmit={submit.onSubmit} noValidate>
            <ProblemBox problem={submit.problem} />
            <ChoiceGroup
              name="decision"
              errorKey="decision"
              legend={t("dnv.decide.choose")}
              options={DECISIONS.map((value) => ({
                value,
                text: t(`dnv.decide.option.${value}`) + (value === advice ? ` (${t("dnv.decide.as_advised")})` : ""),
              }))}
              value={choice}
              choose={setChoice}
              problem={submit.problem}
            />
            {choice === "postponed" && <p class="hint">{t("dnv.decide.postponed.hint")}</p>}
            {asksReason && (
              <TextAreaField
                name="reason"
                label={t("dnv.decide.reason")}
                hint={t("dnv.decide.reason.hint")}
                required
                rows={4}
                value={reason}
                onValue={setReason}
                problem={submit.problem}
              />
            )}
            <OtherErrors problem={submit.problem} shown={asksReason ? ["decision", "reason"] : ["decision"]} />
            <Submit busy={submit.busy}>{t("dnv.decide.submit")}</Submit>
          </form>
        </>
      )}
    </Page>
  );
}

// --- the certificate CSV import ------------------------------------------------------------------------

export function Import() {
  const t = useT();
  const [csv, setCsv, clearCsv] = useKeptText("import.csv");
  const [lines, setLines] = useState<LineProblem[]>([]);
  const [fileNote, setFileNote] = useState("");
  const [counts, setCounts] = useState<ImportResult | null>(null);
  const submit = useSubmit(
    async () => {
      setCounts(null);
      let found: LineProblem[] = [];
      const answer = await authorized(async () => {
        const result = await api.POST("/api/v1/certificates/import", {
          body: csv,
          bodySerializer: (body: string) => body,
          headers: { "Content-Type": "text/csv" },
        });
        found = linesOf(result.error);
        return result;
      });
      setLines(answer.ok ? [] : found);
      return answer;
    },
    (answer) => {
      clearCsv();
      setCounts(answer);
    },
  );
  return (
    <Page title={t("dnv.import.title")}>
      <p>{t("dnv.import.intro")}</p>
      <p class="small">{t("dnv.import.columns")}</p>
      <form class="dnv-form" onSubmit={submit.onSubmit} noValidate>
        <ProblemBox problem={submit.problem} />
        {lines.length > 0 && (
          <div class="table-scroll" tabIndex={0} role="region" aria-label={t("dnv.import.lines")}>
            <table class="dnv-table" data-list="line-errors">
              <caption>{t("dnv.import.lines")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("dnv.import.line")}</th>
                  <th scope="col">{t("dnv.import.field")}</th>
                  <th scope="col">{t("dnv.import.message")}</th>
                </tr>
              </thead>
              <tbody>
                {lines.map((line, n) => (
                  <tr key={n} data-line={line.line}>
                    <th scope="row">{line.line}</th>
                    <td>{line.field}</td>
                    <td>{line.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div class="field">
          <label for="field-csv-file">{t("dnv.import.file")}</label>
          <p class="hint" id="field-csv-file-hint">
            {t("dnv.import.file.hint")}
          </p>
          <input
            type="file"
            id="field-csv-file"
            accept=".csv,text/csv"
            aria-describedby="field-csv-file-hint"
            onChange={(event) => {
              const file = event.currentTarget.files?.[0];
              if (!file) return;
              void file.text().then((content) => {
                setCsv(content);
                setFileNote(t("dnv.import.file.read", { name: file.name }));
              });
            }}
          />
        </div>
        <p role="status" class="small">
          {fileNote}
        </p>
        <TextAreaField
          name="csv"
          label={t("dnv.import.paste")}
          hint={t("dnv.import.paste.hint")}
          required
          rows={8}
          value={csv}
          onValue={setCsv}
          problem={submit.problem}
        />
        <Submit busy={submit.busy}>{t("dnv.import.submit")}</Submit>
      </form>
      {counts && <ImportCounts counts={counts} />}
    </Page>
  );
}

function ImportCounts({ counts }: { counts: ImportResult }) {
  const t = useT();
  return (
    <Notice>
      <p data-field="import-result">
        {t("dnv.import.done", {
          rows: counts.rows ?? 0,
          created: counts.created ?? 0,
          unchanged: counts.unchanged ?? 0,
          linked: counts.linked ?? 0,
          waiting: counts.awaiting_account ?? 0,
        })}
      </p>
    </Notice>
  );
}

// --- e-mails that failed to send -----------------------------------------------------------------------

export function FailedMessages() {
  const t = useT();
  const current = useStore(session);
  // Noloc operates the e-mail: its admins send one again; DNV's officers see what did not arrive.
  const mayRetry = current.status === "authenticated" && (current.account.roles ?? []).includes("noloc_admin");
  const { data, problem, reload } = useLoad(() =>
    authorized(() => api.GET("/api/v1/messages/failed", { params: { query: { page: 1, page_size: 50 } } })),
  );
  const [said, setSaid] = useState("");
  const [retryProblem, setRetryProblem] = useState<Shown | null>(null);
  const retry = (id: string, to: string) =>
    void authorized(() => api.POST("/api/v1/messages/{message_id}/retry", { params: { path: { message_id: id } } })).then(
      (answer) => {
        if (!answer.ok) return setRetryProblem(answer.problem);
        setRetryProblem(null);
        setSaid(t("dnv.failed.retried", { to }));
        reload();
      },
    );
  return (
    <Page title={t("dnv.failed.title")}>
      <p>{t(mayRetry ? "dnv.failed.intro" : "dnv.failed.intro.dnv")}</p>
      <ProblemBox problem={problem ?? retryProblem} />
      <p role="status">{said}</p>
      {!data && !problem && <Loading />}
      {data &&
        ((data.items ?? []).length === 0 ? (
          <p>{t("dnv.failed.none")}</p>
        ) : (
          <ul class="dnv-cards">
            {(data.items ?? []).map((message) => (
              <li key={message.id} data-message={message.id}>
                <h2 class="dnv-card-title">{message.subject}</h2>
                <dl class="facts">
                  <dt>{t("dnv.failed.to")}</dt>
                  <dd>{message.email_address}</dd>
                  <dt>{t("dnv.failed.at")}</dt>
                  <dd>{dateTime(message.failed_at ?? undefined)}</dd>
                  <dt>{t("dnv.failed.attempts")}</dt>
                  <dd>{message.attempts}</dd>
                  <dt>{t("dnv.failed.error")}</dt>
                  <dd>{message.last_error ?? "–"}</dd>
                </dl>
                {mayRetry && (
                  <button type="button" class="button" onClick={() => retry(message.id ?? "", message.email_address ?? "")}>
                    {t("dnv.failed.retry", { to: message.email_address ?? "" })}
                  </button>
                )}
              </li>
            ))}
          </ul>
        ))}
    </Page>
  );
}
