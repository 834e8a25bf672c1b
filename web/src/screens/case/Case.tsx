// The jobcoach's application after submitting (issue 13): the case's progress, each step with its day or
// the day it is expected (GET /cases/{id}'s `progress`), the supplement's deadline when DNV postponed,
// DNV's decisions with the assessment form as PDF, and the objection against a decision that is not
// positive, within its term. A decision an upheld objection annulled (DNV's postponement on part B after a
// failed PE check, ADR 0011 amended) is shown as annulled: no deadline, no objection form, no mentor pointer;
// the objection that annulled it says that the postponement and the PE supplement lapsed and DNV checks
// the PE again.
import { useState } from "preact/hooks";
import { api, type Schemas, type Shown } from "../../api/client";
import { authorized } from "../../auth";
import { platformToday } from "../../calendar";
import { ProblemBox } from "../../components/forms";
import { KeptTextForm } from "../../components/keptTextForm";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, type TextKey, useT } from "../../i18n";
import { Link } from "../../router";
import { download } from "../../components/files";
import { MentorPointer } from "../mentors/screens";
import "./case.css";

type CaseDetail = Schemas["CaseDetail"];
type Decision = Schemas["Decision"];
type Objection = Schemas["Objection"];
type Step = Schemas["ProgressStep"];

/** The jobcoach's current case: her newest (the API lists her own cases, newest first), in full. */
export async function currentCase(): Promise<{ ok: true; data: { found: CaseDetail | null } } | { ok: false; problem: Shown }> {
  const list = await authorized(() => api.GET("/api/v1/cases", { params: { query: { page_size: 1 } } }));
  if (!list.ok) return list;
  const id = list.data.items?.[0]?.id;
  if (!id) return { ok: true, data: { found: null } };
  const detail = await authorized(() => api.GET("/api/v1/cases/{case_id}", { params: { path: { case_id: id } } }));
  return detail.ok ? { ok: true, data: { found: detail.data } } : detail;
}

export function CaseScreen() {
  const t = useT();
  const { data, problem, reload } = useLoad(currentCase);
  return (
    <Page title={t("case.title")}>
      {problem ? (
        <ProblemBox problem={problem} />
      ) : data === null ? (
        <p aria-busy="true">{t("app.loading")}</p>
      ) : data.found === null ? (
        <>
          <p>{t("case.none")}</p>
          <p>
            <Link href="/portfolio">{t("case.to_portfolio")}</Link>
          </p>
        </>
      ) : (
        <CaseView found={data.found} changed={reload} />
      )}
    </Page>
  );
}

function CaseView({ found, changed }: { found: CaseDetail; changed: () => void }) {
  const t = useT();
  const decisions = [...(found.decisions ?? [])].reverse(); // newest first
  const latest = decisions[0];
  // The newest decision that stands: an annulled one is not "the" decision any more (ADR 0011 amended).
  const standing = decisions.find((decision) => !decision.annulled_at);
  const supplementOpen = found.stage === "supplement" && !found.supplement;
  return (
    <>
      {supplementOpen && found.supplement_due_on && (
        <div class="notice case-deadline" data-field="supplement-notice">
          <p class="problem-title">{t("case.supplement.notice", { date: formatDate(found.supplement_due_on) })}</p>
          <p>
            <Link href="/aanvraag/aanvulling" class="button primary">
              {t("case.supplement.go")}
            </Link>
          </p>
        </div>
      )}
      <Progress found={found} />
      {latest && (
        <section aria-labelledby="decision-title">
          <h2 id="decision-title">{t("case.decisions")}</h2>
          {decisions.map((decision, index) => (
            <DecisionItem
              key={decision.id}
              found={found}
              decision={decision}
              latest={index === 0 && decision === standing}
              changed={changed}
            />
          ))}
        </section>
      )}
    </>
  );
}

function stepName(step: Step): TextKey {
  return step.step === "decision" && (step.round ?? 1) > 1 ? "case.step.decision.2" : (`case.step.${step.step}` as TextKey);
}

function when(step: Step, t: ReturnType<typeof useT>): string {
  if (step.status === "done") return step.done_on ? t("case.when.done", { date: formatDate(step.done_on) }) : "";
  if (step.step === "supplement" && step.expected_by) return t("case.when.deadline", { date: formatDate(step.expected_by) });
  if (step.expected_from && step.expected_by) {
    return t("case.when.between", { from: formatDate(step.expected_from), by: formatDate(step.expected_by) });
  }
  return step.expected_by ? t("case.when.by", { date: formatDate(step.expected_by) }) : "";
}

function Progress({ found }: { found: CaseDetail }) {
  const t = useT();
  const steps = found.progress ?? [];
  return (
    <section aria-labelledby="progress-title">
      <h2 id="progress-title">{t("case.progress")}</h2>
      <p>{t("case.progress.intro")}</p>
      <ol class="case-steps">
        {steps.map((step, index) => (
          <li
            key={`${step.step}-${index}`}
            class={`case-step case-${step.status ?? "upcoming"}`}
            aria-current={step.status === "current" ? "step" : undefined}
            data-step={`${step.step}-${step.round ?? 1}`}
          >
            <span class="case-mark" aria-hidden="true">
              {step.status === "done" ? "✓" : index + 1}
            </span>
            <span>
              <strong>{t(stepName(step))}</strong>
              <span class="case-state">
                {t(`case.status.${step.status ?? "upcoming"}` as TextKey)}
                {when(step, t) ? `, ${when(step, t)}` : ""}
              </span>
            </span>
          </li>
        ))}
      </ol>
      {found.state === "awaiting_payment" && (
        <p class="notice">
          {t("case.payment")} <Link href="/facturen">{t("case.payment.link")}</Link>
        </p>
      )}
      {found.assessor_name ? <p>{t("case.assessor", { name: found.assessor_name })}</p> : null}
    </section>
  );
}

function DecisionItem({ found, decision, latest, changed }: {
  found: CaseDetail;
  decision: Decision;
  latest: boolean;
  changed: () => void;
}) {
  const t = useT();
  const objection = (found.objections ?? []).find((o) => o.decision_id === decision.id);
  if (decision.annulled_at) return <AnnulledDecision decision={decision} objection={objection} />;
  const hasForm = (decision.round ?? 0) > 0 && (found.advices ?? []).some((a) => a.round === decision.round);
  const mayObject = latest && decision.decision !== "positive" && !objection && decision.objection_deadline;
  return (
    <article class="case-decision" data-decision={decision.decision} aria-labelledby={`decision-${decision.id}`}>
      <h3 id={`decision-${decision.id}`}>{t(`case.decision.${decision.decision ?? "positive"}` as TextKey)}</h3>
      <p data-field="decided-on">{t("case.decision.on", { date: formatDate(decision.decided_on ?? "") })}</p>
      {decision.reason && (
        <>
          <h4>{t("case.decision.reason")}</h4>
          <p class="case-text" data-field="reason">
            {decision.reason}
          </p>
        </>
      )}
      {decision.decision === "positive" && latest && <RenewedValidity />}
      {decision.decision === "postponed" && decision.supplement_due_on && (
        <p>{t("case.decision.supplement_due", { date: formatDate(decision.supplement_due_on) })}</p>
      )}
      {decision.decision === "negative" && decision.new_portfolio_deadline && (
        <p>{t("case.decision.new_portfolio", { date: formatDate(decision.new_portfolio_deadline) })}</p>
      )}
      {latest && decision.decision !== "positive" && <MentorPointer />}
      {hasForm && <FormPdf caseId={found.id ?? ""} round={decision.round === 2 ? 2 : 1} />}
      {objection ? (
        <ObjectionState objection={objection} />
      ) : mayObject && decision.objection_deadline ? (
        decision.objection_deadline >= platformToday() ? (
          <ObjectionForm found={found} decision={decision} filed={changed} />
        ) : (
          <p>{t("case.objection.closed")}</p>
        )
      ) : null}
    </article>
  );
}

/** A decision an upheld objection annulled: what it was and that it no longer applies, with the objection
 * that annulled it. Its supplement's deadline is void, and nothing is to be objected to. */
function AnnulledDecision({ decision, objection }: { decision: Decision; objection: Objection | undefined }) {
  const t = useT();
  return (
    <article
      class="case-decision case-annulled"
      data-decision={decision.decision}
      data-annulled="true"
      aria-labelledby={`decision-${decision.id}`}
    >
      <h3 id={`decision-${decision.id}`}>
        {t(decision.decision === "postponed" ? "case.decision.annulled.postponed" : "case.decision.annulled", {
          date: formatDate(decision.decided_on),
        })}
      </h3>
      <p data-field="annulled">{t("case.decision.annulled.on", { date: formatDate(decision.annulled_at ?? "") })}</p>
      {objection && <ObjectionState objection={objection} annulled={decision.annulled_by_objection_id === objection.id} />}
    </article>
  );
}

/** After a positive decision: the certificate's new expiry date, as the tile has it. */
function RenewedValidity() {
  const t = useT();
  const { data } = useLoad(() => authorized(() => api.GET("/api/v1/certificates/mine")));
  if (!data?.valid_until) return null;
  return (
    <p class="case-renewed" data-field="valid-until">
      {t("case.decision.valid_until", { date: formatDate(data.valid_until) })}
    </p>
  );
}

function FormPdf({ caseId, round }: { caseId: string; round: 1 | 2 }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [problem, setProblem] = useState<Shown | null>(null);
  const fetchPdf = async () => {
    if (busy) return;
    setBusy(true);
    const answer = await download(
      () =>
        authorized(() =>
          api.GET("/api/v1/cases/{case_id}/form.pdf", {
            params: { path: { case_id: caseId }, query: { round } },
            parseAs: "blob",
          }),
        ),
      t("case.form.file"),
    );
    setBusy(false);
    setDone(answer.ok);
    setProblem(answer.ok ? null : answer.problem);
  };
  return (
    <div class="case-pdf">
      <ProblemBox problem={problem} />
      <button type="button" class="button" aria-disabled={busy ? "true" : undefined} onClick={() => void fetchPdf()}>
        {busy ? t("case.form.busy") : t("case.form.download")}
      </button>
      <p class="small" role="status">
        {done ? t("case.form.done") : ""}
      </p>
    </div>
  );
}

/** The objection's state. `annulled`: upheld, it annulled the decision (the postponement after a failed PE
 * check), and the case went back to DNV's PE check rather than to a new decision. */
function ObjectionState({ objection, annulled = false }: { objection: Objection; annulled?: boolean }) {
  const t = useT();
  return (
    <section class="case-objection" aria-labelledby={`objection-state-${objection.id ?? ""}`} data-field="objection">
      <h4 id={`objection-state-${objection.id ?? ""}`}>{t("case.objection.state")}</h4>
      <p>{t("case.objection.filed", { date: formatDate(objection.filed_at ?? "") })}</p>
      <p class="case-text">{objection.reason}</p>
      <p data-field="objection-state">
        <strong>
          {objection.outcome === "upheld"
            ? t(annulled ? "case.objection.upheld.pe_check" : "case.objection.upheld")
            : objection.outcome === "rejected"
              ? t("case.objection.rejected")
              : t("case.objection.open")}
        </strong>
      </p>
      {objection.outcome_reason && <p>{t("case.objection.outcome_reason", { reason: objection.outcome_reason })}</p>}
    </section>
  );
}

function ObjectionForm({ found, decision, filed }: { found: CaseDetail; decision: Decision; filed: () => void }) {
  const t = useT();
  return (
    <section class="case-objection" aria-labelledby="objection-title">
      <h4 id="objection-title">{t("case.objection")}</h4>
      <p>{t("case.decision.objection_until", { date: formatDate(decision.objection_deadline ?? "") })}</p>
      <p>{t("case.objection.intro")}</p>
      <KeptTextForm
        draftKey={`objection.${decision.id ?? ""}`}
        send={(reason) =>
          authorized(() =>
            api.POST("/api/v1/cases/{case_id}/objections", {
              params: { path: { case_id: found.id ?? "" } },
              body: { reason },
            }),
          )
        }
        sent={filed}
        restored={t("case.objection.restored")}
        field={{
          label: t("case.objection.reason"),
          hint: t("case.objection.reason.hint"),
          required: true,
          rows: 8,
          maxLength: 5000,
        }}
        confirm={{ id: "objection-sure", label: t("case.objection.check"), message: t("case.confirm.needed") }}
        submit={t("case.objection.submit")}
      />
    </section>
  );
}
