// The jobcoach's portfolio (issue 13): the overview with the readiness checklist and, once submitted, the
// case's progress; the A1-A4 editors (drafts saved as one types); the reflection meetings with their proof;
// the confirmation that shows what goes in before submitting.
import { useEffect, useState } from "preact/hooks";
import { api, type Shown } from "../../api/client";
import type { paths } from "../../api/schema";
import { authorized, session } from "../../auth";
import { type DraftStatus, useDraft, useLocalDraft } from "../../components/draft";
import { InputField, SelectField, TextAreaField } from "../../components/fields";
import { Field, OtherErrors, ProblemBox, Submit, useSubmit } from "../../components/forms";
import { KeptTextForm } from "../../components/keptTextForm";
import { Page } from "../../components/Layout";
import { acceptOf, rulesHint, useUploadRules } from "../../components/uploadRules";
import { useLoad } from "../../components/useLoad";
import { formatDate, formatNumber, language, type TextKey, useT } from "../../i18n";
import { Link, navigate, usePlace } from "../../router";
import { useStore } from "../../store";
import "./portfolio.css";
import { MentorComments } from "../mentors/screens";

type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { "application/json": infer T } } }
    ? T
    : R extends { 201: { content: { "application/json": infer T } } }
      ? T
      : never
  : never;

type Cycle = Json<"/api/v1/portfolio/cycles/current", "get">;
type Readiness = Json<"/api/v1/portfolio/cycles/current/readiness", "get">;
type Meeting = Json<"/api/v1/portfolio/cycles/current/meetings", "post">;
type CaseDetail = Json<"/api/v1/cases/{case_id}", "get">;
type Part = Json<"/api/v1/portfolio/cycles/current/parts/{part}", "put">;
/** The cycle's parts A1-A4 (none in the dashboard's copy of the cycle, which leaves them out). */
function partsOf(cycle: Cycle): Partial<Record<PartName, Part>> {
  return cycle.parts ?? {};
}

const PARTS = ["A1", "A2", "A3", "A4"] as const;
type PartName = (typeof PARTS)[number];
const KINDS = ["intervision", "supervision", "coaching", "quality_circle"] as const;
/** The PE screens (another part of the portal) where part B's missing items are dealt with. */
export const PE_PATH = "/pe";
const SUBMITTED_STATES = new Set(["submitted", "supplement_open", "supplement_submitted", "closed"]);

function time(at: Date): string {
  return new Intl.DateTimeFormat(language.get() === "nl" ? "nl-NL" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
  }).format(at);
}

const getCycle = () => authorized(() => api.GET("/api/v1/portfolio/cycles/current"));
const getReadiness = () => authorized(() => api.GET("/api/v1/portfolio/cycles/current/readiness"));

async function both() {
  const [cycle, readiness] = await Promise.all([getCycle(), getReadiness()]);
  if (!cycle.ok) return cycle;
  if (!readiness.ok) return readiness;
  return { ok: true as const, data: { cycle: cycle.data, readiness: readiness.data } };
}

function NoCycle({ problem }: { problem: Shown }) {
  const t = useT();
  if (problem.status === 404) return <p>{t("portfolio.none")}</p>;
  return <ProblemBox problem={problem} />;
}

function Loading() {
  const t = useT();
  return <p aria-busy="true">{t("app.loading")}</p>;
}

// --- the overview -----------------------------------------------------------------------------------------

export function Overview() {
  const t = useT();
  const { data, problem, reload } = useLoad(both);
  return (
    <Page title={t("portfolio.title")}>
      {problem ? (
        <NoCycle problem={problem} />
      ) : !data ? (
        <Loading />
      ) : SUBMITTED_STATES.has(data.cycle.state ?? "") ? (
        <Progress cycle={data.cycle} changed={reload} />
      ) : (
        <Checklist cycle={data.cycle} readiness={data.readiness} />
      )}
    </Page>
  );
}

function whereTo(part: string, code: string, params: Record<string, number | string> | undefined): string {
  if (part === "B") return PE_PATH;
  if (code === "a3_meetings_missing") return "/portfolio/bijeenkomsten";
  if (code === "a3_proof_missing") return `/portfolio/bijeenkomsten#bijeenkomst-${String(params?.["meeting_id"] ?? "")}`;
  if (code.startsWith("a1_") && code.includes("declaration")) return "/portfolio/a1#verklaringen";
  return `/portfolio/${part.toLowerCase()}`;
}

function Checklist({ cycle, readiness }: { cycle: Cycle; readiness: Readiness }) {
  const t = useT();
  const parts = readiness.parts ?? {};
  const window = readiness.window;
  return (
    <>
      <p>
        {window?.opens_on && window.closes_on
          ? t(window.open_today ? "portfolio.window.open" : "portfolio.window.later", {
              opens: formatDate(window.opens_on),
              closes: formatDate(window.closes_on),
            })
          : null}
      </p>
      <section aria-labelledby="checklist-title">
        <h2 id="checklist-title">{t("portfolio.checklist")}</h2>
        <p class={readiness.ready ? "pf-ready" : undefined} data-field="ready">
          {readiness.ready ? t("portfolio.checklist.ready") : t("portfolio.checklist.intro")}
        </p>
        <ul class="pf-checklist">
          {(["A1", "A2", "A3", "A4", "B"] as const).map((name) => {
            const part = parts[name];
            const complete = part?.complete ?? false;
            return (
              <li key={name} class={complete ? "pf-done" : "pf-todo"} data-part={name}>
                <span class="pf-mark" aria-hidden="true">
                  {complete ? "✓" : "!"}
                </span>
                <div>
                  <p class="pf-part">
                    {name === "B" ? (
                      <Link href={PE_PATH}>{t("portfolio.part.B")}</Link>
                    ) : (
                      <Link href={`/portfolio/${name.toLowerCase()}`}>{t(`portfolio.part.${name}` as TextKey)}</Link>
                    )}
                    {" – "}
                    <span>{complete ? t("portfolio.complete") : t("portfolio.incomplete")}</span>
                  </p>
                  {!complete && (
                    <ul>
                      {(part?.missing ?? []).map((item, index) => (
                        <li key={`${item.code}-${index}`}>
                          <Link href={whereTo(name, item.code ?? "", item.params)}>
                            {item.message}
                          </Link>
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      </section>
      <section aria-labelledby="meetings-title">
        <h2 id="meetings-title">{t("portfolio.meetings")}</h2>
        <p>
          {t("portfolio.meetings.count", {
            proven: readiness.proven_reflection_meetings ?? 0,
            required: readiness.required_reflection_meetings ?? 0,
          })}
        </p>
        <p>
          <Link href="/portfolio/bijeenkomsten">{t("portfolio.meetings.manage")}</Link>
        </p>
      </section>
      <section aria-labelledby="submit-title">
        <h2 id="submit-title">{t("portfolio.submit")}</h2>
        {readiness.can_submit_today ? (
          <p>
            <Link href="/portfolio/indienen" class="button primary">
              {t("portfolio.submit.go")}
            </Link>
          </p>
        ) : (
          <p>{readiness.ready ? t("portfolio.submit.window_closed") : t("portfolio.submit.not_ready")}</p>
        )}
      </section>
      <p class="small">{t("portfolio.cycle", { expires: formatDate(cycle.expires_on ?? "") })}</p>
    </>
  );
}

// --- the case's progress ----------------------------------------------------------------------------------

const STEPS = ["submitted", "pe_check", "assessment", "decision"] as const;

function stepOf(found: CaseDetail | null): number {
  if (!found) return 1;
  switch (found.stage) {
    case "pe_check":
      return 1;
    case "assessment":
    case "supplement":
      return 2;
    case "decision":
      return 3;
    default:
      return 4; // closed: every step done
  }
}

function Progress({ cycle, changed }: { cycle: Cycle; changed: () => void }) {
  const t = useT();
  const [found, setFound] = useState<CaseDetail | null>(null);
  const [problem, setProblem] = useState<Shown | null>(null);
  const [tries, setTries] = useState(0);
  useEffect(() => {
    let live = true;
    void authorized(() => api.GET("/api/v1/cases", { params: { query: { page_size: 20 } } })).then((answer) => {
      if (!live) return;
      if (!answer.ok) return setProblem(answer.problem);
      const items = answer.data.items ?? [];
      const mine = items.find((c) => c.submission_id === cycle.submission_id);
      if (mine?.id) {
        const id = mine.id;
        void authorized(() => api.GET("/api/v1/cases/{case_id}", { params: { path: { case_id: id } } })).then(
          (detail) => live && (detail.ok ? setFound(detail.data) : setProblem(detail.problem)),
        );
      }
      // The case is opened a moment after the submission (an event): ask again for a while.
      else if (tries < 30) window.setTimeout(() => live && setTries((n) => n + 1), 2000);
    });
    return () => {
      live = false;
    };
  }, [tries]);
  const current = stepOf(found);
  return (
    <section aria-labelledby="progress-title">
      <h2 id="progress-title">{t("portfolio.progress")}</h2>
      <p>{t("portfolio.progress.intro")}</p>
      <p>
        <Link href={cycle.state === "supplement_open" ? "/aanvraag/aanvulling" : "/aanvraag"}>
          {t(cycle.state === "supplement_open" ? "case.supplement.go" : "case.progress.more")}
        </Link>
      </p>
      {cycle.supplement?.state === "annulled" && cycle.state === "submitted"
        && cycle.supplement.submission_id === cycle.submission_id && (
        <p class="notice" data-field="supplement-annulled">
          {t("portfolio.progress.supplement_annulled", { date: formatDate(cycle.supplement.annulled_at ?? "") })}
        </p>
      )}
      <ProblemBox problem={problem} />
      <ol class="pf-steps">
        {STEPS.map((step, index) => {
          const state = index < current ? "done" : index === current ? "current" : "later";
          return (
            <li key={step} class={`pf-step pf-${state}`} aria-current={state === "current" ? "step" : undefined} data-step={step}>
              <span class="pf-mark" aria-hidden="true">
                {state === "done" ? "✓" : index + 1}
              </span>
              <span>
                <strong>{t(`portfolio.step.${step}` as TextKey)}</strong>
                <span class="pf-state">{t(`portfolio.step.${state}` as TextKey)}</span>
                {step === "submitted" && found?.submitted_at && (
                  <span class="small">{formatDate(found.submitted_at)}</span>
                )}
              </span>
            </li>
          );
        })}
      </ol>
      {found ? (
        <>
          {found.state === "awaiting_payment" && <p class="notice">{t("portfolio.progress.payment")}</p>}
          {found.due_on && found.stage && (
            <p data-field="expected">{t("portfolio.progress.expected", { date: formatDate(found.due_on) })}</p>
          )}
          {found.assessor_name && <p>{t("portfolio.progress.assessor", { name: found.assessor_name })}</p>}
        </>
      ) : (
        !problem && <p aria-busy="true">{t("portfolio.progress.opening")}</p>
      )}
      {cycle.state === "submitted" && <Withdrawal cycle={cycle} found={found} changed={changed} />}
    </section>
  );
}

/** The case states in which a withdrawal is still granted: before an assessor is assigned. */
const WITHDRAWABLE = new Set(["opened", "pe_check_failed", "awaiting_payment", "ready_for_assignment"]);

/** Taking the submitted portfolio back to change it (ADR 0041). The portal asks; assessment, which assigns
 * the assessors, decides within moments. Until its answer has come back the request shows as pending and
 * the cycle is asked for again; then the overview loads anew: open again, or the refusal. */
function Withdrawal({ cycle, found, changed }: { cycle: Cycle; found: CaseDetail | null; changed: () => void }) {
  const t = useT();
  const [asked, setAsked] = useState(cycle.withdrawal?.state === "pending");
  useEffect(() => {
    if (!asked) return;
    let live = true;
    let tries = 0;
    let timer = 0;
    const poll = () =>
      void getCycle().then((answer) => {
        if (!live) return;
        if (answer.ok && answer.data.withdrawal?.state !== "pending") return changed();
        if (++tries < 60) timer = window.setTimeout(poll, 1000);
      });
    timer = window.setTimeout(poll, 500);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [asked]);

  if (cycle.withdrawal?.state === "refused") {
    return (
      <p class="notice" role="status" data-field="withdrawal">
        {t("portfolio.withdraw.refused")}
      </p>
    );
  }
  if (asked) {
    return (
      <p class="notice" role="status" data-field="withdrawal">
        {t("portfolio.withdraw.pending")}
      </p>
    );
  }
  if (!found || !WITHDRAWABLE.has(found.state ?? "")) return null;
  return (
    <section aria-labelledby="withdraw-title" class="pf-withdraw">
      <h2 id="withdraw-title">{t("portfolio.withdraw")}</h2>
      <p>{t("portfolio.withdraw.intro")}</p>
      {cycle.today > cycle.submit_by && (
        <p class="notice" data-field="withdraw-after-deadline">
          {t(cycle.kind === "after_negative" ? "portfolio.withdraw.after_deadline.after_negative" : "portfolio.withdraw.after_deadline", {
            date: formatDate(cycle.submit_by),
          })}
        </p>
      )}
      <KeptTextForm
        draftKey={`withdrawal.${cycle.submission_id ?? ""}`}
        send={(reason) =>
          authorized(() =>
            api.POST("/api/v1/portfolio/cycles/current/withdraw", { body: { reason: reason.trim() || null } }),
          )
        }
        sent={() => setAsked(true)}
        restored={t("portfolio.withdraw.restored")}
        field={{
          label: t("portfolio.withdraw.reason"),
          hint: t("portfolio.withdraw.reason.hint"),
          rows: 3,
          maxLength: 1000,
        }}
        confirm={{
          id: "withdraw-sure",
          label: t("portfolio.withdraw.check"),
          message: t("portfolio.withdraw.confirm_needed"),
        }}
        submit={t("portfolio.withdraw.submit")}
      />
    </section>
  );
}

// --- the editors ------------------------------------------------------------------------------------------

function StatusLine({ status }: { status: DraftStatus }) {
  const t = useT();
  const text =
    status.kind === "saving"
      ? t("portfolio.draft.saving")
      : status.kind === "saved"
        ? t("portfolio.draft.saved", { time: time(status.at) })
        : status.kind === "retrying"
          ? t("portfolio.draft.retrying")
          : status.kind === "refused"
            ? t("portfolio.draft.refused")
            : "";
  // Read out when saved or not saved; "saving…" after every pause in typing only shows (it would chatter).
  return (
    <p class={`pf-status pf-status-${status.kind}`} role="status" data-field="draft-status">
      {status.kind === "saving" ? <span aria-hidden="true">{text}</span> : text}
    </p>
  );
}

export function Editor() {
  const t = useT();
  const { path } = usePlace();
  const part = path.replace(/\/+$/, "").slice(-2).toUpperCase() as PartName;
  const current = useStore(session);
  const { data, problem } = useLoad(getCycle);
  const accountId = current.status === "authenticated" ? current.account.id : "";
  const key = data?.id ? `${accountId}.${data.id}.${part}` : null;
  const onServer = data ? (partsOf(data)[part]?.text ?? "") : null;
  const draft = useDraft(key, onServer, (text) =>
    authorized(() => api.PUT("/api/v1/portfolio/cycles/current/parts/{part}", { params: { path: { part } }, body: { text } })),
  );
  const title = t(`portfolio.part.${part}` as TextKey);
  const editable = data ? (data.editable_parts ?? []).includes(part) : false;
  return (
    <Page title={title}>
      <p>
        <Link href="/portfolio">{t("portfolio.back")}</Link>
      </p>
      {problem ? (
        <NoCycle problem={problem} />
      ) : !data ? (
        <Loading />
      ) : (
        <>
          <p>{t(`portfolio.part.${part}.intro` as TextKey)}</p>
          {!editable && <p class="notice">{t("portfolio.locked")}</p>}
          {draft.restored && <p class="notice">{t("portfolio.draft.restored")}</p>}
          <ProblemBox problem={draft.problem} />
          <TextAreaField
            name="text"
            label={t("portfolio.text", { part })}
            hint={t("portfolio.text.hint")}
            value={draft.text}
            onValue={draft.change}
            onBlur={draft.flush}
            problem={draft.problem}
            maxLength={100000}
            readOnly={!editable}
          />
          <StatusLine status={draft.status} />
          {part === "A1" && <Declarations cycle={data} text={() => draft.text} />}
          {part === "A3" && <ReportMeeting cycle={data} text={() => draft.text} />}
          <MentorComments part={part} />
        </>
      )}
    </Page>
  );
}

function Declarations({ cycle, text }: { cycle: Cycle; text: () => string }) {
  const t = useT();
  const a1 = partsOf(cycle).A1;
  const [past, setPast] = useState(Boolean(a1?.executive_jobcoach_declared));
  const [now, setNow] = useState(Boolean(a1?.currently_executive_jobcoach_declared));
  const [problem, setProblem] = useState<Shown | null>(null);
  const [saved, setSaved] = useState<Date | null>(null);
  const send = async (body: { executive_jobcoach_declared?: boolean; currently_executive_jobcoach_declared?: boolean }) => {
    const answer = await authorized(() =>
      api.PUT("/api/v1/portfolio/cycles/current/parts/{part}", {
        params: { path: { part: "A1" } },
        body: { text: text(), ...body },
      }),
    );
    if (answer.ok) {
      setProblem(null);
      setSaved(new Date());
      setPast(Boolean(answer.data.executive_jobcoach_declared));
      setNow(Boolean(answer.data.currently_executive_jobcoach_declared));
    } else setProblem(answer.problem);
  };
  return (
    <fieldset class="choice" id="verklaringen">
      <legend>{t("portfolio.declarations")}</legend>
      <ProblemBox problem={problem} />
      <div class="check">
        <input
          type="checkbox"
          id="declared-past"
          checked={past}
          onChange={(event) => {
            setPast(event.currentTarget.checked);
            void send({ executive_jobcoach_declared: event.currentTarget.checked });
          }}
        />
        <label for="declared-past">{t("portfolio.declaration.past")}</label>
      </div>
      <div class="check">
        <input
          type="checkbox"
          id="declared-now"
          checked={now}
          onChange={(event) => {
            setNow(event.currentTarget.checked);
            void send({ currently_executive_jobcoach_declared: event.currentTarget.checked });
          }}
        />
        <label for="declared-now">{t("portfolio.declaration.now")}</label>
      </div>
      <p class="small" role="status">
        {saved ? t("portfolio.draft.saved", { time: time(saved) }) : ""}
      </p>
    </fieldset>
  );
}

function meetingName(meeting: Meeting, t: (key: TextKey, params?: Record<string, string | number>) => string) {
  return t("portfolio.meeting.name", {
    date: formatDate(meeting.met_on ?? ""),
    kind: t(`portfolio.kind.${meeting.kind}` as TextKey),
  });
}

function ReportMeeting({ cycle, text }: { cycle: Cycle; text: () => string }) {
  const t = useT();
  const meetings = cycle.meetings ?? [];
  const [chosen, setChosen] = useState<string>(partsOf(cycle).A3?.meeting_id ?? "");
  const [problem, setProblem] = useState<Shown | null>(null);
  const [saved, setSaved] = useState<Date | null>(null);
  if (!meetings.length) {
    return (
      <p>
        {t("portfolio.report.no_meetings")} <Link href="/portfolio/bijeenkomsten">{t("portfolio.meetings.manage")}</Link>
      </p>
    );
  }
  const choose = async (value: string) => {
    setChosen(value);
    const answer = await authorized(() =>
      api.PUT("/api/v1/portfolio/cycles/current/parts/{part}", {
        params: { path: { part: "A3" } },
        body: { text: text(), meeting_id: value || null },
      }),
    );
    if (answer.ok) {
      setProblem(null);
      setSaved(new Date());
    } else setProblem(answer.problem);
  };
  return (
    <>
      <ProblemBox problem={problem} />
      <SelectField
        name="meeting_id"
        label={t("portfolio.report.meeting")}
        value={chosen}
        onValue={(value) => void choose(value)}
        problem={problem}
        options={[
          { value: "", text: t("portfolio.report.choose") },
          ...meetings.map((m) => ({ value: m.id ?? "", text: meetingName(m, t) })),
        ]}
      />
      <p class="small" role="status">
        {saved ? t("portfolio.draft.saved", { time: time(saved) }) : ""}
      </p>
    </>
  );
}

// --- the reflection meetings ------------------------------------------------------------------------------

export function Meetings() {
  const t = useT();
  const { data, problem, reload } = useLoad(() =>
    authorized(() => api.GET("/api/v1/portfolio/cycles/current/meetings")),
  );
  return (
    <Page title={t("portfolio.meetings")}>
      <p>
        <Link href="/portfolio">{t("portfolio.back")}</Link>
      </p>
      <p>{t("portfolio.meetings.intro")}</p>
      {problem ? (
        <NoCycle problem={problem} />
      ) : !data ? (
        <Loading />
      ) : (
        <>
          {data.length === 0 ? (
            <p>{t("portfolio.meetings.none")}</p>
          ) : (
            <ul class="pf-meetings">
              {data.map((meeting) => (
                <MeetingItem key={meeting.id} meeting={meeting} changed={reload} />
              ))}
            </ul>
          )}
          <AddMeeting added={reload} />
        </>
      )}
    </Page>
  );
}

function MeetingItem({ meeting, changed }: { meeting: Meeting; changed: () => void }) {
  const t = useT();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const rules = useUploadRules("proof");
  const [problem, setProblem] = useState<Shown | null>(null);
  const id = meeting.id ?? "";
  const name = meetingName(meeting, t);
  const upload = async (event: Event) => {
    event.preventDefault();
    if (!file || busy) return;
    setBusy(true);
    const answer = await authorized(() =>
      api.POST("/api/v1/portfolio/meetings/{meeting_id}/proof", {
        params: { path: { meeting_id: id }, query: { filename: file.name } },
        body: file as unknown as string,
        bodySerializer: (body: unknown) => body as BodyInit,
        headers: { "Content-Type": "application/octet-stream" },
      }),
    );
    setBusy(false);
    if (answer.ok) {
      setProblem(null);
      changed();
    } else setProblem(answer.problem);
  };
  const remove = async () => {
    const answer = await authorized(() =>
      api.DELETE("/api/v1/portfolio/meetings/{meeting_id}", { params: { path: { meeting_id: id } } }),
    );
    if (answer.ok) changed();
    else setProblem(answer.problem);
  };
  const who = [meeting.group_name, meeting.supervisor_name].filter(Boolean).join(", ");
  return (
    <li id={`bijeenkomst-${id}`} class="pf-meeting" data-meeting={id}>
      <h3>{name}</h3>
      <p>
        {who}
        {meeting.duration_minutes ? ` · ${t("portfolio.meeting.minutes", { count: meeting.duration_minutes })}` : ""}
      </p>
      <p class={meeting.proven ? "pf-ready" : "pf-missing"} data-field="proof">
        <span aria-hidden="true">{meeting.proven ? "✓ " : "! "}</span>
        {meeting.proven
          ? t("portfolio.proof.present", { file: meeting.proof?.filename ?? t("portfolio.proof.noloc") })
          : t("portfolio.proof.missing")}
      </p>
      <ProblemBox problem={problem} />
      {!meeting.proven && meeting.source !== "noloc" && (
        <form onSubmit={upload} class="pf-upload">
          <div class="field">
            <label for={`proof-${id}`}>{t("portfolio.proof.label", { meeting: name })}</label>
            <p class="hint" id={`proof-${id}-hint`}>
              {rulesHint(t, rules)}
            </p>
            <input
              type="file"
              id={`proof-${id}`}
              accept={acceptOf(rules)}
              aria-describedby={`proof-${id}-hint`}
              onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)}
            />
          </div>
          <button type="submit" class="button" aria-disabled={busy || !file ? "true" : undefined}>
            {busy ? t("app.loading") : t("portfolio.proof.upload")}
          </button>
        </form>
      )}
      {meeting.source !== "noloc" && (
        <p>
          <button type="button" class="link-button" onClick={() => void remove()}>
            {t("portfolio.meeting.remove", { meeting: name })}
          </button>
        </p>
      )}
    </li>
  );
}

interface MeetingValues {
  met_on: string;
  kind: string;
  group_name: string;
  supervisor_name: string;
  duration_minutes: string;
}

const noMeeting = (): MeetingValues => ({
  met_on: "", kind: "intervision", group_name: "", supervisor_name: "", duration_minutes: "",
});

/** A new meeting, kept in this browser as it is typed (a reload, a closed tab or the login after a session
 * ended loses nothing) until portfolio has it. */
function AddMeeting({ added }: { added: () => void }) {
  const t = useT();
  const current = useStore(session);
  const accountId = current.status === "authenticated" ? current.account.id : null;
  const draft = useLocalDraft<MeetingValues>(accountId ? `${accountId}.meeting.new` : null, noMeeting);
  const values = draft.value;
  const [addedOne, setAddedOne] = useState(false);
  const set = (field: keyof MeetingValues) => (value: string) => draft.change({ ...values, [field]: value });
  const form = useSubmit(
    () =>
      authorized(() =>
        api.POST("/api/v1/portfolio/cycles/current/meetings", {
          body: {
            met_on: values.met_on,
            kind: values.kind as (typeof KINDS)[number],
            group_name: values.group_name || null,
            supervisor_name: values.supervisor_name || null,
            duration_minutes: values.duration_minutes ? Number(values.duration_minutes) : null,
          },
        }),
      ),
    () => {
      draft.change(noMeeting());
      draft.clear();
      setAddedOne(true);
      added();
    },
  );
  return (
    <section aria-labelledby="add-meeting-title">
      <h2 id="add-meeting-title">{t("portfolio.meeting.add")}</h2>
      {draft.restored && !addedOne && <p class="notice">{t("portfolio.meeting.restored")}</p>}
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <InputField type="date" name="met_on" label={t("portfolio.meeting.date")} required value={values.met_on} onValue={set("met_on")} problem={form.problem} />
        <SelectField
          name="kind"
          label={t("portfolio.meeting.kind")}
          required
          value={values.kind}
          onValue={set("kind")}
          problem={form.problem}
          options={KINDS.map((k) => ({ value: k, text: t(`portfolio.kind.${k}` as TextKey) }))}
        />
        <Field name="group_name" label={t("portfolio.meeting.group")} hint={t("portfolio.meeting.group.hint")} value={values.group_name} onValue={set("group_name")} problem={form.problem} />
        <Field name="supervisor_name" label={t("portfolio.meeting.supervisor")} value={values.supervisor_name} onValue={set("supervisor_name")} problem={form.problem} />
        <InputField type="number" name="duration_minutes" label={t("portfolio.meeting.duration")} value={values.duration_minutes} onValue={set("duration_minutes")} problem={form.problem} />
        <OtherErrors problem={form.problem} shown={["met_on", "kind", "group_name", "supervisor_name", "duration_minutes"]} />
        <Submit busy={form.busy}>{t("portfolio.meeting.save")}</Submit>
      </form>
    </section>
  );
}

// --- submitting -------------------------------------------------------------------------------------------

function words(text: string): number {
  return text.trim() ? text.trim().split(/\s+/).length : 0;
}

export function Confirm() {
  const t = useT();
  const { data, problem } = useLoad(both);
  const [sure, setSure] = useState(false);
  const form = useSubmit(
    () => authorized(() => api.POST("/api/v1/portfolio/cycles/current/submit")),
    () => navigate("/portfolio"),
  );
  return (
    <Page title={t("portfolio.confirm.title")}>
      <p>
        <Link href="/portfolio">{t("portfolio.back")}</Link>
      </p>
      {problem ? (
        <NoCycle problem={problem} />
      ) : !data ? (
        <Loading />
      ) : (
        <>
          <p>{t("portfolio.confirm.intro")}</p>
          <section aria-labelledby="what-title">
            <h2 id="what-title">{t("portfolio.confirm.what")}</h2>
            <dl class="pf-summary">
              {PARTS.map((name) => {
                const text = partsOf(data.cycle)[name]?.text ?? "";
                return (
                  <div key={name} data-part={name}>
                    <dt>{t(`portfolio.part.${name}` as TextKey)}</dt>
                    <dd>
                      {t("portfolio.confirm.words", { count: formatNumber(words(text)) })}
                      <span class="pf-excerpt">{text.slice(0, 160)}{text.length > 160 ? "…" : ""}</span>
                    </dd>
                  </div>
                );
              })}
              <div>
                <dt>{t("portfolio.declarations")}</dt>
                <dd>
                  {partsOf(data.cycle).A1?.executive_jobcoach_declared && partsOf(data.cycle).A1?.currently_executive_jobcoach_declared
                    ? t("portfolio.confirm.declared")
                    : t("portfolio.incomplete")}
                </dd>
              </div>
              <div>
                <dt>{t("portfolio.meetings")}</dt>
                <dd>
                  <ul>
                    {(data.cycle.meetings ?? []).map((m) => (
                      <li key={m.id}>
                        {meetingName(m, t)}
                        {m.proof?.filename ? ` (${m.proof.filename})` : ""}
                      </li>
                    ))}
                  </ul>
                </dd>
              </div>
              <div>
                <dt>{t("portfolio.part.B")}</dt>
                <dd data-field="pe">
                  {t("portfolio.confirm.pe", {
                    count: data.readiness.pe?.activity_ids?.length ?? 0,
                    points: formatNumber(data.readiness.pe?.counted_total ?? "0"),
                    required: formatNumber(data.readiness.pe?.required_total ?? "0"),
                  })}
                </dd>
              </div>
            </dl>
          </section>
          {data.readiness.can_submit_today ? (
            <form onSubmit={form.onSubmit}>
              <ProblemBox problem={form.problem} />
              <div class="check">
                <input type="checkbox" id="confirm" required checked={sure} onChange={(e) => setSure(e.currentTarget.checked)} />
                <label for="confirm">{t("portfolio.confirm.check")}</label>
              </div>
              <Submit busy={form.busy}>{t("portfolio.confirm.submit")}</Submit>
            </form>
          ) : (
            <p class="notice">{data.readiness.ready ? t("portfolio.submit.window_closed") : t("portfolio.submit.not_ready")}</p>
          )}
        </>
      )}
    </Page>
  );
}
