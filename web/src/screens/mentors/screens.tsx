// The mentors' screens (issue 14, ADR 0028).
// For a jobcoach: /mentoren, the list of mentors with the fee (paid to the mentor, never invoiced here),
// inviting one with consent to each shared item, and her mentors with "stop" behind a confirmation.
// For a mentor: her jobcoaches (/mentor), a jobcoach's drafts, meetings and PE points read-only with a
// comment form per part whose text is kept in the browser until posted (/mentor/jobcoach?id=...), and her
// profile (/mentor/profiel). `MentorComments` shows the comments on one part in the portfolio editor.
import { useState } from "preact/hooks";
import { api, type Schemas } from "../../api/client";
import { authorized, session } from "../../auth";
import { useLocalDraft } from "../../components/draft";
import { TextAreaField } from "../../components/fields";
import { Field, ProblemBox, Submit, useSubmit } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, formatNumber, type TextKey, useT } from "../../i18n";
import { Link, usePlace } from "../../router";
import { useStore } from "../../store";
import "./mentors.css";

type Mentor = Schemas["Mentor"];
type Mentorship = Schemas["Mentorship"];
type Comment = Schemas["MentorComment"];
const PARTS = ["A1", "A2", "A3", "A4"] as const;
const SHARED = ["drafts", "meetings", "pe_summary"] as const;

// --- the jobcoach --------------------------------------------------------------------------------------

export function MentorsScreen() {
  const t = useT();
  const list = useLoad(() => authorized(() => api.GET("/api/v1/portfolio/mentors")));
  const mine = useLoad(() => authorized(() => api.GET("/api/v1/portfolio/mentorships")));
  const [status, setStatus] = useState("");
  const changed = (message: string) => {
    setStatus(message);
    mine.reload();
  };
  const running = new Set((mine.data ?? []).filter((m) => m.active).map((m) => m.mentor_id));
  return (
    <Page title={t("mentors.title")}>
      <p>{t("mentors.intro")}</p>
      {/* One alert when both loads fail (the same cause, as a rule); the list's says it. */}
      <ProblemBox problem={list.problem ?? mine.problem} />
      {list.data && (
        <>
          <section aria-labelledby="mentors-fee" class="notice">
            <h2 id="mentors-fee">{t("mentors.fee")}</h2>
            <p data-field="fee">{list.data.fee?.note}</p>
          </section>
          <section aria-labelledby="mentors-mine">
            <h2 id="mentors-mine">{t("mentors.mine")}</h2>
            {mine.data && mine.data.length === 0 && <p>{t("mentors.mine.none")}</p>}
            <ul class="mentors-list">
              {(mine.data ?? []).map((m) => (
                <MyMentor key={m.id} mentorship={m} changed={changed} />
              ))}
            </ul>
          </section>
          <section aria-labelledby="mentors-available">
            <h2 id="mentors-available">{t("mentors.list")}</h2>
            {(list.data.items ?? []).length === 0 && <p>{t("mentors.none")}</p>}
            <ul class="mentors-list">
              {(list.data.items ?? []).map((mentor) => (
                <MentorCard key={mentor.account_id} mentor={mentor} running={running.has(mentor.account_id ?? "")}
                  invited={(name) => changed(t("mentors.invited", { name }))} />
              ))}
            </ul>
          </section>
        </>
      )}
      {!list.data && !list.problem && <p aria-busy="true">{t("app.loading")}</p>}
      <p role="status" class="small">
        {status}
      </p>
    </Page>
  );
}

function MentorCard({ mentor, running, invited }: { mentor: Mentor; running: boolean; invited: (name: string) => void }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const name = mentor.full_name ?? "";
  return (
    <li class="mentors-card" data-mentor={mentor.account_id}>
      <h3>{name}</h3>
      <p>
        {t("mentors.region")}: {mentor.region || t("mentors.region.unknown")}
      </p>
      {mentor.about && <p class="mentors-about">{mentor.about}</p>}
      {!running && !open && (
        <button type="button" onClick={() => setOpen(true)}>
          {t("mentors.invite", { name })}
        </button>
      )}
      {!running && open && <InviteForm mentor={mentor} invited={() => { setOpen(false); invited(name); }} />}
    </li>
  );
}

function InviteForm({ mentor, invited }: { mentor: Mentor; invited: () => void }) {
  const t = useT();
  const [consent, setConsent] = useState({ drafts: false, meetings: false, pe_summary: false });
  const form = useSubmit(
    () => authorized(() => api.POST("/api/v1/portfolio/mentorships", { body: { mentor_id: mentor.account_id ?? "", consent } })),
    invited,
  );
  const prefix = `consent-${mentor.account_id}`;
  const errors = form.problem?.errors.consent ?? [];
  return (
    <form onSubmit={form.onSubmit} noValidate aria-label={t("mentors.invite.title")}>
      <ProblemBox problem={form.problem} />
      <fieldset aria-describedby={`${prefix}-hint`}>
        <legend>{t("mentors.consent.legend")}</legend>
        <p class="hint" id={`${prefix}-hint`}>
          {t("mentors.consent.hint")}
        </p>
        {errors.length > 0 && (
          <ul class="field-error">
            {errors.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        )}
        {SHARED.map((item) => (
          <div class="check" key={item}>
            <input
              type="checkbox"
              id={`${prefix}-${item}`}
              checked={consent[item]}
              aria-invalid={errors.length && !consent[item] ? "true" : undefined}
              onChange={(e) => setConsent({ ...consent, [item]: e.currentTarget.checked })}
            />
            <label for={`${prefix}-${item}`}>{t(`mentors.consent.${item}` as TextKey)}</label>
          </div>
        ))}
      </fieldset>
      <Submit busy={form.busy}>{t("mentors.invite.send")}</Submit>
    </form>
  );
}

function MyMentor({ mentorship, changed }: { mentorship: Mentorship; changed: (message: string) => void }) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  const name = mentorship.mentor_name ?? "";
  const end = useSubmit(
    () => authorized(() => api.POST("/api/v1/portfolio/mentorships/{mentorship_id}/end", { params: { path: { mentorship_id: mentorship.id ?? "" } } })),
    () => changed(t("mentors.end.done", { name })),
  );
  return (
    <li class="mentors-card" data-mentorship={mentorship.id}>
      <h3>{name}</h3>
      <p>
        {mentorship.active
          ? t("mentors.since", { date: formatDate(mentorship.started_at ?? "") })
          : t("mentors.ended", { date: formatDate(mentorship.ended_at ?? "") })}
      </p>
      <ProblemBox problem={end.problem} />
      {mentorship.active && !asking && (
        <button type="button" onClick={() => setAsking(true)}>
          {t("mentors.end", { name })}
        </button>
      )}
      {mentorship.active && asking && (
        <form onSubmit={end.onSubmit} class="mentors-confirm" role="group" aria-labelledby={`end-${mentorship.id}`}>
          <p id={`end-${mentorship.id}`}>{t("mentors.end.confirm", { name })}</p>
          <Submit busy={end.busy}>{t("mentors.end.yes")}</Submit>{" "}
          <button type="button" onClick={() => setAsking(false)}>
            {t("mentors.end.no")}
          </button>
        </form>
      )}
    </li>
  );
}

/** The comments of the jobcoach's mentors on one part: in the portfolio editor, under the text. */
export function MentorComments({ part }: { part: (typeof PARTS)[number] }) {
  const t = useT();
  const { data } = useLoad(() => authorized(() => api.GET("/api/v1/portfolio/mentor-comments", { params: { query: { part } } })), [part]);
  if (!data || data.length === 0) return null; // no mentor, or none on this part: nothing to show
  return (
    <section aria-labelledby="mentor-comments" class="mentors-comments">
      <h2 id="mentor-comments">{t("mentors.comments")}</h2>
      <CommentList comments={data} />
    </section>
  );
}

function CommentList({ comments }: { comments: Comment[] }) {
  const t = useT();
  return (
    <ul class="mentors-comment-list">
      {comments.map((c) => (
        <li key={c.id} data-comment={c.id}>
          <p class="small">{t("mentors.comment.by", { name: c.mentor_name ?? "", date: formatDate(c.created_at ?? "") })}</p>
          <p class="mentors-text">{c.text}</p>
        </li>
      ))}
    </ul>
  );
}

/** On /aanvraag after a postponed or negative decision: where to find a mentor. */
export function MentorPointer() {
  const t = useT();
  return (
    <p class="notice" data-field="mentors">
      {t("mentors.after_decision")} <Link href="/mentoren">{t("mentors.after_decision.link")}</Link>
    </p>
  );
}

// --- the mentor ------------------------------------------------------------------------------------------

export function JobcoachesScreen() {
  const t = useT();
  const { data, problem } = useLoad(() => authorized(() => api.GET("/api/v1/portfolio/mentorships")));
  return (
    <Page title={t("mentor.jobcoaches.title")}>
      <ProblemBox problem={problem} />
      {data && data.length === 0 && <p>{t("mentor.jobcoaches.none")}</p>}
      {!data && !problem && <p aria-busy="true">{t("app.loading")}</p>}
      <ul class="links">
        {(data ?? []).map((m) => (
          <li key={m.id}>
            <Link href={`/mentor/jobcoach?id=${m.id}`}>{t("mentor.jobcoaches.open", { name: m.jobcoach_name ?? "" })}</Link>{" "}
            <span class="small">{t("mentors.since", { date: formatDate(m.started_at ?? "") })}</span>
          </li>
        ))}
      </ul>
    </Page>
  );
}

export function ReadScreen() {
  const t = useT();
  const { query } = usePlace();
  const id = query.get("id") ?? "";
  const read = useLoad(
    () => authorized(() => api.GET("/api/v1/portfolio/mentorships/{mentorship_id}/portfolio", { params: { path: { mentorship_id: id } } })),
    [id],
  );
  const comments = useLoad(
    () => authorized(() => api.GET("/api/v1/portfolio/mentorships/{mentorship_id}/comments", { params: { path: { mentorship_id: id } } })),
    [id],
  );
  const data = read.data;
  const name = data?.mentorship?.jobcoach_name ?? "";
  return (
    <Page title={data ? t("mentor.read.title", { name }) : t("mentor.jobcoaches.title")}>
      <p>
        <Link href="/mentor">{t("mentor.jobcoaches.title")}</Link>
      </p>
      <ProblemBox problem={read.problem} />
      {/* The comments' own problem only beside a portfolio that loaded: a mentorship that ended answers
          404 to both, and one alert says it. */}
      {data && <ProblemBox problem={comments.problem} />}
      {!data && !read.problem && <p aria-busy="true">{t("app.loading")}</p>}
      {data && (
        <>
          <p class="notice">{t("mentor.read.readonly")}</p>
          {!data.cycle && <p>{t("mentor.read.no_cycle")}</p>}
          {data.cycle && <PeSummary accountId={data.mentorship?.account_id ?? ""} />}
          {data.cycle && (
            <section aria-labelledby="read-meetings">
              <h2 id="read-meetings">{t("mentor.read.meetings")}</h2>
              {(data.meetings ?? []).length === 0 && <p>{t("mentor.read.meetings.none")}</p>}
              <ul class="mentors-meetings">
                {(data.meetings ?? []).map((m) => (
                  <li key={m.id}>
                    {formatDate(m.met_on ?? "")}: {t(`portfolio.kind.${m.kind}` as TextKey)}
                    {m.group_name ? `, ${m.group_name}` : ""}
                    {m.supervisor_name ? `, ${m.supervisor_name}` : ""} (
                    {m.proven ? t("mentor.read.proven") : t("mentor.read.unproven")})
                  </li>
                ))}
              </ul>
            </section>
          )}
          {data.cycle &&
            PARTS.map((part) => {
              const draft = (data.parts ?? []).find((p) => p.part === part);
              const mine = (comments.data ?? []).filter((c) => c.part === part);
              return (
                <section key={part} aria-labelledby={`read-${part}`} class="mentors-part" data-part={part}>
                  <h2 id={`read-${part}`}>{t(`portfolio.part.${part}` as TextKey)}</h2>
                  {draft?.text ? <div class="mentors-text">{draft.text}</div> : <p>{t("mentor.read.empty")}</p>}
                  {mine.length > 0 && <CommentList comments={mine} />}
                  <CommentForm mentorshipId={id} part={part} posted={comments.reload} />
                </section>
              );
            })}
        </>
      )}
    </Page>
  );
}

function PeSummary({ accountId }: { accountId: string }) {
  const t = useT();
  const { data, problem } = useLoad(
    () => authorized(() => api.GET("/api/v1/pe/accounts/{account_id}/summary", { params: { path: { account_id: accountId }, query: {} } })),
    [accountId],
  );
  return (
    <section aria-labelledby="read-pe">
      <h2 id="read-pe">{t("mentor.read.pe")}</h2>
      <ProblemBox problem={problem} />
      {data && (
        <>
          <p data-field="pe-total">
            {t("mentor.read.pe.total", {
              counted: formatNumber(data.counted_total ?? "0"),
              required: formatNumber(data.required_total ?? "75"),
            })}
          </p>
          {Number(data.points_still_needed ?? "0") > 0 && (
            <p data-field="pe-missing">{t("mentor.read.pe.missing", { points: formatNumber(data.points_still_needed ?? "0") })}</p>
          )}
        </>
      )}
    </section>
  );
}

function CommentForm({ mentorshipId, part, posted }: { mentorshipId: string; part: string; posted: () => void }) {
  const t = useT();
  const current = useStore(session);
  const me = current.status === "authenticated" ? current.account.id : "";
  const draft = useLocalDraft<string>(mentorshipId ? `comment.${me}.${mentorshipId}.${part}` : null, () => "");
  const [sent, setSent] = useState("");
  const form = useSubmit(
    () =>
      authorized(() =>
        api.POST("/api/v1/portfolio/mentorships/{mentorship_id}/comments", {
          params: { path: { mentorship_id: mentorshipId } },
          body: { part: part as (typeof PARTS)[number], text: draft.value },
        }),
      ),
    () => {
      draft.clear();
      draft.change("");
      draft.clear();
      setSent(t("mentor.comment.sent"));
      posted();
    },
  );
  return (
    <form onSubmit={form.onSubmit} noValidate>
      <ProblemBox problem={form.problem} />
      <TextAreaField
        name={`comment-${part}`}
        errorKey="text"
        label={t("mentor.comment.label", { part })}
        hint={t("mentor.comment.kept")}
        value={draft.value}
        onValue={(value) => {
          setSent("");
          draft.change(value);
        }}
        problem={form.problem}
        rows={4}
        maxLength={4000}
      />
      <Submit busy={form.busy}>{t("mentor.comment.send")}</Submit>
      <p role="status" class="small">
        {sent}
      </p>
    </form>
  );
}

export function ProfileScreen() {
  const t = useT();
  const current = useStore(session);
  const me = (current.status === "authenticated" ? current.account.id : "") ?? "";
  const { data, problem } = useLoad(
    () => authorized(() => api.GET("/api/v1/portfolio/mentors/{mentor_id}", { params: { path: { mentor_id: me } } })),
    [me],
  );
  return (
    <Page title={t("mentor.profile.title")}>
      <p>{t("mentor.profile.intro")}</p>
      <ProblemBox problem={problem} />
      {!data && !problem && <p aria-busy="true">{t("app.loading")}</p>}
      {data && <ProfileForm mentorId={me} region={data.region ?? ""} about={data.about ?? ""} />}
    </Page>
  );
}

function ProfileForm({ mentorId, region: savedRegion, about: savedAbout }: { mentorId: string; region: string; about: string }) {
  const t = useT();
  const [region, setRegion] = useState(savedRegion);
  const [about, setAbout] = useState(savedAbout);
  const [saved, setSaved] = useState("");
  const form = useSubmit(
    () => authorized(() => api.PUT("/api/v1/portfolio/mentors/{mentor_id}", { params: { path: { mentor_id: mentorId } }, body: { region, about } })),
    () => setSaved(t("mentor.profile.saved")),
  );
  return (
    <form onSubmit={form.onSubmit} noValidate>
      <ProblemBox problem={form.problem} />
      <Field name="region" label={t("mentor.profile.region")} value={region} onValue={(v) => { setSaved(""); setRegion(v); }} problem={form.problem} />
      <TextAreaField name="about" label={t("mentor.profile.about")} value={about} onValue={(v) => { setSaved(""); setAbout(v); }} problem={form.problem} rows={5} maxLength={1000} />
      <Submit busy={form.busy}>{t("mentor.profile.save")}</Submit>
      <p role="status" class="small">
        {saved}
      </p>
    </form>
  );
}

