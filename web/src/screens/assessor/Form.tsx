// The assessment form (POST /api/v1/cases/{id}/advice): a verdict with findings for A1, A3 and B, feedback on
// A2 and A4, the development advice, the advice, and for a postponed advice the supplementary assignment per
// part that does not meet. Kept in this browser as one types; refusals shown next to their fields. Once sent,
// the form is shown read-only with the PDF. After a supplement the same screen takes the second round.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Shown } from "../../api/client";
import { authorized, session } from "../../auth";
import { TextAreaField } from "../../components/fields";
import { OtherErrors, ProblemBox, Submit, useSubmit } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, language, type TextKey, useT } from "../../i18n";
import { Link, usePlace } from "../../router";
import { useStore } from "../../store";
import { caseHref } from "./Worklist";
import {
  type Advice,
  type AdviceInput,
  ASSESSED,
  type AssessedPart,
  type CaseDetail,
  FEEDBACK,
  feedbackOf,
  fetchFile,
  type Form,
  getCase,
  getForm,
  hadSupplement,
  partsOf,
  roundToFill,
  type Verdict,
} from "./data";
import { useLocalDraft } from "../../components/draft";
import { saveBlob } from "../../components/files";
import "./assessor.css";

interface Values {
  parts: Record<AssessedPart, { verdict: Verdict | ""; findings: string }>;
  feedback: { A2: string; A4: string };
  development_advice: string;
  advice: Advice | "";
  assignments: Partial<Record<AssessedPart, string>>;
}

const empty = (): Values => ({
  parts: { A1: { verdict: "", findings: "" }, A3: { verdict: "", findings: "" }, B: { verdict: "", findings: "" } },
  feedback: { A2: "", A4: "" },
  development_advice: "",
  advice: "",
  assignments: {},
});

async function load(id: string) {
  const found = await getCase(id);
  if (!found.ok) return found;
  const rounds = (found.data.advices ?? []).map((advice) => advice.round).filter((r): r is 1 | 2 => r === 1 || r === 2);
  const forms: Form[] = [];
  for (const round of rounds) {
    const form = await getForm(id, round);
    if (!form.ok) return form;
    forms.push(form.data);
  }
  return { ok: true as const, data: { found: found.data, forms } };
}

export function FormScreen() {
  const t = useT();
  const { query } = usePlace();
  const id = query.get("id") ?? "";
  const { data, problem, reload } = useLoad(() => load(id), [id]);
  const name = data?.found.jobcoach_name;
  const round = data ? roundToFill(data.found) : null;
  const [justSent, setJustSent] = useState(false);
  return (
    <Page title={name ? t("assessor.form.title.named", { name }) : t("assessor.form.title")}>
      <p>
        <Link href={caseHref(id)}>{t("assessor.form.back")}</Link>
      </p>
      {problem ? (
        <ProblemBox problem={problem} />
      ) : !data ? (
        <p aria-busy="true">{t("app.loading")}</p>
      ) : (
        <>
          {data.forms.map((form) => (
            <GivenForm
              key={form.round}
              form={form}
              caseId={id}
              open={round === null && form === data.forms[data.forms.length - 1]}
              justSent={justSent}
            />
          ))}
          {round !== null ? (
            <AdviceForm
              found={data.found}
              round={round}
              sent={() => {
                setJustSent(true);
                reload();
              }}
            />
          ) : (
            data.forms.length === 0 && <p>{t("assessor.case.no_form")}</p>
          )}
        </>
      )}
    </Page>
  );
}

// --- a form that was sent: read-only, with its PDF --------------------------------------------------------

function GivenForm({ form, caseId, open, justSent }: { form: Form; caseId: string; open: boolean; justSent: boolean }) {
  const t = useT();
  const title = useRef<HTMLHeadingElement>(null);
  // Just sent: the focus moves from the form that is gone to the form as sent.
  useEffect(() => {
    if (open && justSent) title.current?.focus();
  }, [open, justSent]);
  const parts = partsOf(form);
  const feedback = feedbackOf(form);
  const round = form.round === 2 ? 2 : 1;
  const [problem, setProblem] = useState<Shown | null>(null);
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    const answer = await fetchFile({ kind: "form", caseId, round });
    setBusy(false);
    if (!answer.ok) return setProblem(answer.problem);
    setProblem(null);
    saveBlob(answer.data, `beoordelingsformulier-ronde-${round}.pdf`);
  };
  const body = (
    <>
      <p data-field="advice">
        {t("assessor.form.given", {
          advice: t(`assessor.advice.${form.advice ?? "positive"}` as TextKey),
          date: formatDate(form.given_at ?? ""),
        })}
      </p>
      <dl class="as-given">
        {ASSESSED.map((part) => (
          <div key={part} data-part={part}>
            <dt>{t(`assessor.part.${part}` as TextKey)}</dt>
            <dd>
              <strong>{parts[part]?.verdict ? t(`assessor.verdict.${parts[part]?.verdict}` as TextKey) : ""}</strong>
              <div class="as-text">{parts[part]?.findings}</div>
            </dd>
          </div>
        ))}
        {FEEDBACK.map((part) =>
          feedback[part] ? (
            <div key={part}>
              <dt>{t("assessor.form.feedback", { part })}</dt>
              <dd class="as-text">{feedback[part]}</dd>
            </div>
          ) : null,
        )}
        <div>
          <dt>{t("assessor.form.development")}</dt>
          <dd class="as-text">{form.development_advice}</dd>
        </div>
        {(form.supplements ?? []).length > 0 && (
          <div>
            <dt>{t("assessor.form.assignments")}</dt>
            <dd>
              <ul>
                {(form.supplements ?? []).map((s, index) => (
                  <li key={index} data-assignment={s.part}>
                    <strong>{s.part}</strong>: {s.assignment}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        )}
      </dl>
      <ProblemBox problem={problem} />
      <p>
        <button type="button" class="button" aria-disabled={busy ? "true" : undefined} onClick={() => void download()}>
          {busy ? t("app.loading") : t("assessor.form.pdf", { round })}
        </button>
      </p>
    </>
  );
  return (
    <section aria-labelledby={`given-${round}`} class="as-given-form" data-round={round}>
      <h2 id={`given-${round}`} tabIndex={-1} ref={title}>
        {t("assessor.form.round", { round })}
      </h2>
      {open ? body : (
        <details>
          <summary>{t("assessor.form.show_round", { round })}</summary>
          {body}
        </details>
      )}
    </section>
  );
}

// --- the form to fill in ----------------------------------------------------------------------------------

function time(at: Date): string {
  return new Intl.DateTimeFormat(language.get() === "nl" ? "nl-NL" : "en-GB", { hour: "2-digit", minute: "2-digit" }).format(at);
}

function AdviceForm({ found, round, sent }: { found: CaseDetail; round: 1 | 2; sent: () => void }) {
  const t = useT();
  const current = useStore(session);
  const accountId = current.status === "authenticated" ? current.account.id : "";
  const draft = useLocalDraft<Values>(`assessment.${accountId}.${found.id}.${round}`, empty);
  const values = draft.value;
  const [sentParts, setSentParts] = useState<AssessedPart[]>([]);
  const failing = ASSESSED.filter((part) => values.parts[part].verdict === "does_not_meet");
  // One supplement per case (ADR 0011): after a postponed decision that stands (the round-0 one on part B
  // after a failed PE check, or the one before this second round) the API refuses a postponed advice.
  const supplemented = hadSupplement(found);
  const advices: Advice[] = round === 2 || supplemented ? ["positive", "negative"] : ["positive", "postponed", "negative"];
  // A draft kept from before may hold an advice no longer offered: it counts as not chosen.
  const chosen: Advice | "" = values.advice && advices.includes(values.advice) ? values.advice : "";

  const body = (): AdviceInput => {
    const parts = Object.fromEntries(
      ASSESSED.map((part) => {
        const { verdict, findings } = values.parts[part];
        return [part, { ...(verdict ? { verdict } : {}), findings }];
      }),
    ) as AdviceInput["parts"];
    const supplements = failing
      .filter((part) => (values.assignments[part] ?? "").trim())
      .map((part) => ({ part, assignment: values.assignments[part] ?? "" }));
    return {
      parts,
      feedback: { A2: values.feedback.A2 || null, A4: values.feedback.A4 || null },
      development_advice: values.development_advice,
      ...(chosen ? { advice: chosen } : {}),
      ...(chosen === "postponed" ? { supplements } : {}),
    } as AdviceInput;
  };

  const form = useSubmit(
    () => {
      const sending = body();
      setSentParts((sending.supplements ?? []).map((s) => s.part));
      return authorized(() =>
        api.POST("/api/v1/cases/{case_id}/advice", { params: { path: { case_id: found.id ?? "" } }, body: sending }),
      );
    },
    () => {
      draft.clear();
      sent();
    },
  );
  const problem = form.problem;
  const set = (change: (v: Values) => Values) => draft.change(change(values));
  const shownKeys = [
    ...ASSESSED.flatMap((p) => [`parts.${p}`, `parts.${p}.verdict`, `parts.${p}.findings`]),
    "feedback.A2",
    "feedback.A4",
    "development_advice",
    "advice",
    "supplements",
    ...sentParts.map((_, index) => `supplements.${index}.assignment`),
    ...sentParts.map((_, index) => `supplements.${index}`),
  ];
  const assignmentKey = (part: AssessedPart) => {
    const index = sentParts.indexOf(part);
    return index >= 0 ? `supplements.${index}.assignment` : `supplements.${part}`;
  };

  return (
    <section aria-labelledby="fill-title">
      <h2 id="fill-title">{round === 2 ? t("assessor.form.fill.2") : t("assessor.form.fill.1")}</h2>
      <p>{round === 2 ? t("assessor.form.intro.2") : t("assessor.form.intro.1")}</p>
      {draft.restored && <p class="notice">{t("assessor.form.restored")}</p>}
      <form class="as-form" onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={problem} />
        {ASSESSED.map((part) => (
          <fieldset key={part} class="as-part-form" data-part={part}>
            <legend>{t(`assessor.part.${part}` as TextKey)}</legend>
            <Choice
              name={`verdict-${part}`}
              legend={t("assessor.form.verdict", { part })}
              value={values.parts[part].verdict}
              options={(["meets", "does_not_meet"] as const).map((v) => ({ value: v, text: t(`assessor.verdict.${v}` as TextKey) }))}
              onValue={(verdict) => set((v) => ({ ...v, parts: { ...v.parts, [part]: { ...v.parts[part], verdict: verdict as Verdict } } }))}
              messages={[...(problem?.errors[`parts.${part}.verdict`] ?? []), ...(problem?.errors[`parts.${part}`] ?? [])]}
            />
            <TextAreaField
              name={`findings-${part}`}
              label={t("assessor.form.findings", { part })}
              hint={t("assessor.form.findings.hint")}
              rows={5}
              value={values.parts[part].findings}
              onValue={(findings) => set((v) => ({ ...v, parts: { ...v.parts, [part]: { ...v.parts[part], findings } } }))}
              problem={problem}
              errorKey={`parts.${part}.findings`}
              maxLength={20000}
            />
          </fieldset>
        ))}
        <fieldset class="as-part-form">
          <legend>{t("assessor.form.feedback.title")}</legend>
          <p class="hint">{t("assessor.form.feedback.hint")}</p>
          {FEEDBACK.map((part) => (
            <TextAreaField
              key={part}
              name={`feedback-${part}`}
              label={t("assessor.form.feedback", { part })}
              rows={4}
              value={values.feedback[part]}
              onValue={(text) => set((v) => ({ ...v, feedback: { ...v.feedback, [part]: text } }))}
              problem={problem}
              errorKey={`feedback.${part}`}
              maxLength={20000}
            />
          ))}
        </fieldset>
        <TextAreaField
          name="development_advice"
          label={t("assessor.form.development")}
          hint={t("assessor.form.development.hint")}
          rows={5}
          value={values.development_advice}
          onValue={(text) => set((v) => ({ ...v, development_advice: text }))}
          problem={problem}
          maxLength={20000}
        />
        <Choice
          name="advice"
          legend={t("assessor.form.advice")}
          hint={
            round === 2
              ? t("assessor.form.advice.hint.2")
              : supplemented
                ? t("assessor.form.advice.hint.supplemented")
                : t("assessor.form.advice.hint.1")
          }
          value={chosen}
          options={advices.map((a) => ({ value: a, text: t(`assessor.advice.${a}` as TextKey) }))}
          onValue={(advice) => set((v) => ({ ...v, advice: advice as Advice }))}
          messages={problem?.errors["advice"] ?? []}
        />
        {chosen === "postponed" && (
          <fieldset class="as-part-form" id="field-supplements" data-field="supplements">
            <legend>{t("assessor.form.assignments")}</legend>
            <p class="hint" id="field-supplements-hint">
              {t("assessor.form.assignments.hint")}
            </p>
            {(problem?.errors["supplements"] ?? []).length > 0 && (
              <ul class="field-error" id="field-supplements-error">
                {(problem?.errors["supplements"] ?? []).map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            )}
            {failing.length === 0 ? (
              <p>{t("assessor.form.assignments.none")}</p>
            ) : (
              failing.map((part) => (
                <TextAreaField
                  key={part}
                  name={`assignment-${part}`}
                  label={t("assessor.form.assignment", { part })}
                  rows={4}
                  value={values.assignments[part] ?? ""}
                  onValue={(text) => set((v) => ({ ...v, assignments: { ...v.assignments, [part]: text } }))}
                  problem={problem}
                  errorKey={assignmentKey(part)}
                  maxLength={5000}
                />
              ))
            )}
          </fieldset>
        )}
        <OtherErrors problem={problem} shown={shownKeys} />
        <p class="small" role="status" data-field="draft-status">
          {draft.savedAt ? t("assessor.form.kept", { time: time(draft.savedAt) }) : ""}
        </p>
        <Submit busy={form.busy}>{t("assessor.form.send")}</Submit>
      </form>
    </section>
  );
}

/** Radio buttons in a fieldset, with their errors next to them (aria-describedby on each button). */
function Choice({ name, legend, hint, value, options, onValue, messages }: {
  name: string;
  legend: string;
  hint?: string;
  value: string;
  options: { value: string; text: string }[];
  onValue: (value: string) => void;
  messages: string[];
}) {
  const t = useT();
  const described = [hint ? `${name}-hint` : "", messages.length ? `${name}-error` : ""].filter(Boolean).join(" ");
  return (
    <fieldset class={messages.length ? "choice field-invalid" : "choice"} id={`field-${name}`}>
      <legend>
        {legend} <span class="required">({t("form.required")})</span>
      </legend>
      {hint && (
        <p class="hint" id={`${name}-hint`}>
          {hint}
        </p>
      )}
      {messages.length > 0 && (
        <ul class="field-error" id={`${name}-error`}>
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      {options.map((option) => (
        <label key={option.value}>
          <input
            type="radio"
            name={name}
            value={option.value}
            checked={value === option.value}
            aria-invalid={messages.length ? "true" : undefined}
            aria-describedby={described || undefined}
            onChange={() => onValue(option.value)}
          />
          {option.text}
        </label>
      ))}
    </fieldset>
  );
}
