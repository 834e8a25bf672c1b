// The service desk's screens (issue 14, ADR 0029). For everyone: the help page behind the help button
// (a logged-in person's requests, or the way to ask without logging in), a new request with an optional
// attachment, one's request and its thread; asking without logging in, confirming it by the e-mailed link
// and following it by the link in the answer's e-mail. For DNV's support: the queue by state, a request with
// its thread, the answer, the state and unlinking the requester's authenticator app.
import { useRef, useState } from "preact/hooks";
import { api, type Outcome, outcome, type Schemas, type Shown } from "../../api/client";
import { authorized, session } from "../../auth";
import { useLocalDraft } from "../../components/draft";
import { SelectField, TextAreaField } from "../../components/fields";
import { saveBlob } from "../../components/files";
import { ConfirmCheck, Field, OtherErrors, ProblemBox, Submit, useConfirmation, useSubmit } from "../../components/forms";
import { Page } from "../../components/Layout";
import { acceptOf, formatSize, rulesHint, useUploadRules } from "../../components/uploadRules";
import { useLoad } from "../../components/useLoad";
import { language, type TextKey, useT } from "../../i18n";
import { Link, navigate, usePlace } from "../../router";
import { useStore } from "../../store";
import "./desk.css";

type Thread = Schemas["Thread"];
type SupportThread = Schemas["SupportThread"];
type Post = Schemas["Post"];
type Attachment = Schemas["Attachment"];
type Summary = Schemas["RequestSummary"];

const STATES = ["open", "answered", "closed"] as const;
const PAGE_SIZE = 50;

function stateKey(state: string | undefined): TextKey {
  return `desk.state.${state ?? "open"}` as TextKey;
}

function when(iso: string | undefined): string {
  if (!iso) return "–";
  return new Intl.DateTimeFormat(language.get() === "nl" ? "nl-NL" : "en-GB", {
    day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
}

function Loading() {
  const t = useT();
  return <p aria-busy="true">{t("app.loading")}</p>;
}

function Status({ text }: { text: string | null }) {
  return (
    <p role="status" class={text ? "notice done" : undefined}>
      {text ?? ""}
    </p>
  );
}

function accountId(): string {
  const current = session.get();
  return current.status === "authenticated" ? current.account.id ?? "" : "";
}

// --- the thread, as both sides see it -----------------------------------------------------------------

function Posts({ posts }: { posts: Post[] }) {
  const t = useT();
  return (
    <section aria-labelledby="desk-thread-title">
      <h2 id="desk-thread-title">{t("desk.thread")}</h2>
      <ol class="desk-thread">
        {posts.map((post) => (
          <li key={post.id} class={post.from_support ? "desk-post desk-support" : "desk-post"} data-kind={post.kind}>
            <p class="desk-meta">
              {post.kind === "note" ? <strong>{t("desk.note")}: </strong> : null}
              {t("desk.posted", {
                name: post.from_support ? `${post.author_name} (${t("desk.from_support")})` : post.author_name,
                when: when(post.created_at),
              })}
            </p>
            <p class="desk-text">{post.text}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Attachments({ files, open }: { files: Attachment[]; open: (file: Attachment) => void }) {
  const t = useT();
  if (!files.length) return null;
  return (
    <section aria-labelledby="desk-files-title">
      <h2 id="desk-files-title">{t("desk.attachments")}</h2>
      <ul class="links">
        {files.map((file) => (
          <li key={file.id}>
            <button type="button" class="link-button" onClick={() => open(file)}>
              {t("desk.attachment.open", { name: file.filename })}
            </button>{" "}
            ({formatSize(file.size)})
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A reply in a thread: kept locally while typed (a reload loses nothing), cleared once sent. */
function StateLine({ state }: { state: string }) {
  const t = useT();
  return (
    <p>
      {t("desk.col.state")}: <strong data-field="state">{t(stateKey(state))}</strong>
    </p>
  );
}

/** The requester's reply in a thread, logged in or by the e-mailed link: ``replied`` gets the thread as it is
 * after the reply. */
function RequesterReply({ draftKey, send, replied }: {
  draftKey: string;
  send: (text: string) => Promise<Outcome<Thread>>;
  replied: (thread: Thread) => void;
}) {
  const t = useT();
  return (
    <section aria-labelledby="desk-reply-title">
      <h2 id="desk-reply-title">{t("desk.reply.title")}</h2>
      <ReplyForm
        draftKey={draftKey}
        label="desk.reply.field"
        submit="desk.reply.submit"
        send={(text) =>
          send(text).then((answer) => {
            if (answer.ok) replied(answer.data);
            return answer;
          })
        }
        done={() => undefined}
      />
    </section>
  );
}

function ReplyForm({ draftKey, label, submit, send, done, hint }: {
  draftKey: string;
  label: TextKey;
  submit: TextKey;
  hint?: string;
  send: (text: string) => Promise<Outcome<unknown>>;
  done: () => void;
}) {
  const t = useT();
  const draft = useLocalDraft<string>(draftKey, () => "");
  const form = useSubmit(() => send(draft.value), () => {
    draft.change("");
    draft.clear();
    done();
  });
  return (
    <form onSubmit={form.onSubmit} noValidate>
      {draft.restored && draft.value && <p class="notice">{t("desk.restored")}</p>}
      <ProblemBox problem={form.problem} />
      <TextAreaField name="text" label={t(label)} hint={hint} required rows={6} maxLength={10000}
        value={draft.value} onValue={draft.change} problem={form.problem} />
      <OtherErrors problem={form.problem} shown={["text"]} />
      <Submit busy={form.busy}>{t(submit)}</Submit>
    </form>
  );
}

function uploadAttachment(requestId: string, file: File) {
  return authorized(() =>
    api.POST("/api/v1/desk/requests/{request_id}/attachments", {
      params: { path: { request_id: requestId }, query: { filename: file.name || "bijlage" } },
      body: file as unknown as string,
      bodySerializer: (body: unknown) => body as BodyInit,
      headers: { "Content-Type": "application/octet-stream" },
    }),
  );
}

/** A file chooser with the desk's rules as its hint; too large a file is refused before it is sent. */
function FileChooser({ input, problem }: { input: { current: HTMLInputElement | null }; problem: string | null }) {
  const t = useT();
  const rules = useUploadRules("desk");
  return (
    <div class={problem ? "field field-invalid" : "field"}>
      <label for="field-file">{t("desk.field.file")}</label>
      <p class="hint" id="field-file-hint">
        {rulesHint(t, rules)}
      </p>
      {problem && (
        <p class="field-error" id="field-file-error">
          {problem}
        </p>
      )}
      <input type="file" id="field-file" name="file" ref={input} accept={acceptOf(rules)}
        aria-describedby={problem ? "field-file-hint field-file-error" : "field-file-hint"}
        aria-invalid={problem ? "true" : undefined} />
    </div>
  );
}

function useFileCheck() {
  const t = useT();
  const rules = useUploadRules("desk");
  return (file: File | undefined): string | null =>
    file && rules && file.size > rules.max_bytes
      ? t("desk.field.file.too_large", { name: file.name, size: formatSize(rules.max_bytes) })
      : null;
}

// --- the help page: the button's target ---------------------------------------------------------------

export function Help() {
  const t = useT();
  const current = useStore(session);
  if (current.status !== "authenticated") {
    return (
      <Page title={t("desk.help.title")}>
        <p>{t("desk.help.intro")}</p>
        <p>{t("desk.help.guest")}</p>
        <p>
          <Link href="/inloggen?terug=%2Fhulp%2Fnieuw" class="button primary">
            {t("app.login")}
          </Link>
        </p>
        <p>{t("desk.help.cannot_login")}</p>
        <p>
          <Link href="/hulp/zonder-inloggen" class="button">
            {t("desk.public.title")}
          </Link>
        </p>
      </Page>
    );
  }
  return <MyRequests />;
}

function MyRequests() {
  const t = useT();
  const { data, problem } = useLoad(() =>
    authorized(() => api.GET("/api/v1/desk/requests", { params: { query: { page_size: PAGE_SIZE } } })),
  );
  const items: Summary[] = data?.items ?? [];
  return (
    <Page title={t("desk.help.title")}>
      <p>{t("desk.help.intro")}</p>
      <p>
        <Link href="/hulp/nieuw" class="button primary">
          {t("desk.help.new")}
        </Link>
      </p>
      <h2>{t("desk.help.mine")}</h2>
      <ProblemBox problem={problem} />
      {!data && !problem && <Loading />}
      {data && !items.length && <p>{t("desk.help.none")}</p>}
      {items.length > 0 && (
        <ul class="desk-list" data-list="my-requests">
          {items.map((item) => (
            <li key={item.id}>
              <Link href={`/hulp/verzoek?id=${item.id}`}>{item.subject}</Link>{" "}
              <span class="desk-state">{t(stateKey(item.state))}</span>, {when(item.updated_at)}
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

// --- a new request (logged in) --------------------------------------------------------------------------

interface NewValues {
  subject: string;
  text: string;
}

export function NewRequest() {
  const t = useT();
  const draft = useLocalDraft<NewValues>(`${accountId()}.desk.new`, () => ({ subject: "", text: "" }));
  const file = useRef<HTMLInputElement>(null);
  const check = useFileCheck();
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [sentWithout, setSentWithout] = useState<{ id: string; problem: Shown } | null>(null);
  const form = useSubmit(
    () =>
      authorized(() =>
        api.POST("/api/v1/desk/requests", { body: { subject: draft.value.subject, text: draft.value.text } }),
      ),
    async (thread) => {
      draft.clear();
      const id = thread.request.id;
      const chosen = file.current?.files?.[0];
      if (chosen) {
        const uploaded = await uploadAttachment(id, chosen);
        if (!uploaded.ok) {
          setSentWithout({ id, problem: uploaded.problem });
          return;
        }
      }
      navigate(`/hulp/verzoek?id=${id}`);
    },
  );
  if (sentWithout) {
    return (
      <Page key="sent" title={t("desk.new.title")} outcome>
        <p role="status">{t("desk.new.sent_without_file")}</p>
        <ProblemBox problem={sentWithout.problem} />
        <p>
          <Link href={`/hulp/verzoek?id=${sentWithout.id}`}>{t("desk.new.to_request")}</Link>
        </p>
      </Page>
    );
  }
  const set = (field: keyof NewValues) => (value: string) => draft.change({ ...draft.value, [field]: value });
  return (
    <Page title={t("desk.new.title")}>
      <p>{t("desk.new.intro")}</p>
      {draft.restored && (draft.value.subject || draft.value.text) && <p class="notice">{t("desk.restored")}</p>}
      <form
        noValidate
        onSubmit={(event) => {
          const problem = check(file.current?.files?.[0]);
          setFileProblem(problem);
          if (problem) {
            event.preventDefault();
            return;
          }
          form.onSubmit(event);
        }}
      >
        <ProblemBox problem={form.problem} />
        <Field name="subject" label={t("desk.field.subject")} value={draft.value.subject} onValue={set("subject")}
          problem={form.problem} required />
        <TextAreaField name="text" label={t("desk.field.text")} hint={t("desk.field.text.hint")} required rows={8}
          maxLength={10000} value={draft.value.text} onValue={set("text")} problem={form.problem} />
        <FileChooser input={file} problem={fileProblem} />
        <OtherErrors problem={form.problem} shown={["subject", "text"]} />
        <Submit busy={form.busy}>{t("desk.new.submit")}</Submit>
      </form>
    </Page>
  );
}

// --- one's request (logged in) ------------------------------------------------------------------------

/** What both thread screens (the requester's and support's) hold: the request's id from the address, the
 * thread as loaded, a status line, and opening an attachment (``problem``: its failure). */
function useThreadScreen<T>(
  load: (id: string) => Promise<Outcome<T>>,
  attachment: (id: string, file: Attachment) => Promise<Outcome<unknown>>,
) {
  const id = usePlace().query.get("id") ?? "";
  const [status, setStatus] = useState<string | null>(null);
  const [problem, setProblem] = useState<Shown | null>(null);
  const loaded = useLoad(() => load(id), [id]);
  const open = (file: Attachment) =>
    void attachment(id, file).then((answer) =>
      answer.ok ? saveBlob(answer.data as Blob, file.filename) : setProblem(answer.problem),
    );
  return { id, status, setStatus, open, problem, loadProblem: loaded.problem, data: loaded.data,
    reload: loaded.reload, setData: loaded.setData };
}

export function MyRequest() {
  const t = useT();
  const { id, status, setStatus, open, data, problem, loadProblem, reload, setData } = useThreadScreen(
    (id) => authorized(() => api.GET("/api/v1/desk/requests/{request_id}", { params: { path: { request_id: id } } })),
    (id, file) =>
      authorized(() =>
        api.GET("/api/v1/desk/requests/{request_id}/attachments/{attachment_id}", {
          params: { path: { request_id: id, attachment_id: file.id } },
          parseAs: "blob",
        }),
      ),
  );
  return (
    <Page title={data ? t("desk.request.title", { subject: data.request.subject }) : t("desk.help.mine")}>
      <p>
        <Link href="/hulp">{t("desk.request.back")}</Link>
      </p>
      <ProblemBox problem={loadProblem ?? problem} />
      <Status text={status} />
      {!data && !loadProblem && <Loading />}
      {data && (
        <>
          <StateLine state={data.request.state} />
          <Posts posts={data.posts} />
          <Attachments files={data.attachments} open={open} />
          {data.request.state === "closed" ? (
            <p>{t("desk.reply.closed")}</p>
          ) : (
            <>
              <RequesterReply
                draftKey={`${accountId()}.desk.reply.${id}`}
                send={(text) =>
                  authorized(() =>
                    api.POST("/api/v1/desk/requests/{request_id}/replies", {
                      params: { path: { request_id: id } },
                      body: { text },
                    }),
                  )
                }
                replied={(thread) => {
                  setData(thread);
                  setStatus(t("desk.reply.done"));
                }}
              />
              <AddAttachment requestId={id} added={(name) => {
                setStatus(t("desk.attach.done", { name }));
                reload();
              }} />
            </>
          )}
        </>
      )}
    </Page>
  );
}

function AddAttachment({ requestId, added }: { requestId: string; added: (name: string) => void }) {
  const t = useT();
  const file = useRef<HTMLInputElement>(null);
  const check = useFileCheck();
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const form = useSubmit(
    async () => {
      const chosen = file.current?.files?.[0];
      return uploadAttachment(requestId, chosen as File);
    },
    (stored) => {
      if (file.current) file.current.value = "";
      added(stored.filename);
    },
  );
  return (
    <section aria-labelledby="desk-attach-title">
      <h2 id="desk-attach-title">{t("desk.attach.title")}</h2>
      <form
        noValidate
        onSubmit={(event) => {
          const chosen = file.current?.files?.[0];
          const problem = chosen ? check(chosen) : t("desk.attach.choose");
          setFileProblem(problem);
          if (problem) {
            event.preventDefault();
            return;
          }
          form.onSubmit(event);
        }}
      >
        <ProblemBox problem={form.problem} />
        <FileChooser input={file} problem={fileProblem} />
        <Submit busy={form.busy}>{t("desk.attach.submit")}</Submit>
      </form>
    </section>
  );
}

// --- asking without logging in, confirming, following by the e-mailed link -----------------------------

interface PublicValues {
  email: string;
  name: string;
  subject: string;
  text: string;
}

export function AskLoggedOut() {
  const t = useT();
  const lang = useStore(language);
  const draft = useLocalDraft<PublicValues>("desk.public", () => ({ email: "", name: "", subject: "", text: "" }));
  const [sent, setSent] = useState(false);
  const form = useSubmit(
    () =>
      outcome(() =>
        api.POST("/api/v1/desk/public/requests", {
          body: { ...draft.value, email: draft.value.email.trim(), language: lang },
        }),
      ),
    () => {
      draft.clear();
      setSent(true);
    },
  );
  if (sent) {
    return (
      <Page key="sent" title={t("desk.public.sent.title")} outcome>
        <p role="status">{t("desk.public.sent")}</p>
      </Page>
    );
  }
  const set = (field: keyof PublicValues) => (value: string) => draft.change({ ...draft.value, [field]: value });
  return (
    <Page title={t("desk.public.title")}>
      <p>{t("desk.public.intro")}</p>
      {draft.restored && draft.value.text && <p class="notice">{t("desk.restored")}</p>}
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <Field name="email" type="email" label={t("desk.field.email")} hint={t("desk.field.email.hint")}
          value={draft.value.email} onValue={set("email")} problem={form.problem} autoComplete="email" required />
        <Field name="name" label={t("desk.field.name")} value={draft.value.name} onValue={set("name")}
          problem={form.problem} autoComplete="name" required />
        <Field name="subject" label={t("desk.field.subject")} value={draft.value.subject} onValue={set("subject")}
          problem={form.problem} required />
        <TextAreaField name="text" label={t("desk.field.text")} hint={t("desk.field.text.hint")} required rows={8}
          maxLength={10000} value={draft.value.text} onValue={set("text")} problem={form.problem} />
        <OtherErrors problem={form.problem} shown={["email", "name", "subject", "text"]} />
        <Submit busy={form.busy}>{t("desk.public.submit")}</Submit>
      </form>
    </Page>
  );
}

/** The confirmation link's page: confirmed by a button, not on opening (a mail scanner that opens links
 * confirms nothing). */
export function Confirm() {
  const t = useT();
  const token = usePlace().query.get("token") ?? "";
  const [done, setDone] = useState<string | null>(null);
  const form = useSubmit(
    () => outcome(() => api.POST("/api/v1/desk/public/confirm", { body: { token } })),
    (answer) => setDone(answer.token),
  );
  if (done !== null) {
    return (
      <Page key="done" title={t("desk.confirm.done.title")} outcome>
        <p role="status">{t("desk.confirm.done")}</p>
        <p>
          <Link href={`/hulp/gesprek?token=${encodeURIComponent(done)}`}>{t("desk.confirm.to_thread")}</Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title={t("desk.confirm.title")}>
      {!token ? (
        <p>{t("desk.confirm.no_token")}</p>
      ) : (
        <>
          <p>{t("desk.confirm.intro")}</p>
          <form onSubmit={form.onSubmit} noValidate>
            <ProblemBox problem={form.problem} />
            <Submit busy={form.busy}>{t("desk.confirm.submit")}</Submit>
          </form>
        </>
      )}
    </Page>
  );
}

export function LinkThread() {
  const t = useT();
  const token = usePlace().query.get("token") ?? "";
  const [status, setStatus] = useState<string | null>(null);
  const { data, problem, setData } = useLoad<Thread | null>(
    () =>
      token
        ? outcome(() => api.POST("/api/v1/desk/public/thread", { body: { token } }))
        : Promise.resolve({ ok: true as const, data: null }),
    [token],
  );
  if (!token) {
    return (
      <Page title={t("desk.link.title")}>
        <p>{t("desk.link.no_token")}</p>
      </Page>
    );
  }
  const thread: Thread | null = data;
  return (
    <Page title={thread ? t("desk.request.title", { subject: thread.request.subject }) : t("desk.link.title")}>
      <p>{t("desk.link.private")}</p>
      <ProblemBox problem={problem} />
      <Status text={status} />
      {!thread && !problem && <Loading />}
      {thread && (
        <>
          <StateLine state={thread.request.state} />
          <Posts posts={thread.posts} />
          {thread.request.state === "closed" ? (
            <p>{t("desk.reply.closed")}</p>
          ) : (
            <RequesterReply
              draftKey={`desk.link.${thread.request.id}`}
              send={(text) => outcome(() => api.POST("/api/v1/desk/public/replies", { body: { token, text } }))}
              replied={(next) => {
                setData(next);
                setStatus(t("desk.reply.done"));
              }}
            />
          )}
        </>
      )}
    </Page>
  );
}

// --- DNV's support --------------------------------------------------------------------------------------

export function Queue() {
  const t = useT();
  const asked = usePlace().query.get("status") ?? "open";
  const state = STATES.find((s) => s === asked) ?? "";
  const { data, problem } = useLoad(
    () =>
      authorized(() =>
        api.GET("/api/v1/desk/queue", { params: { query: { page_size: PAGE_SIZE, ...(state ? { state } : {}) } } }),
      ),
    [state],
  );
  const items = data?.items ?? [];
  return (
    <Page title={t("desk.queue.title")}>
      <form class="dnv-filter" onSubmit={(event) => event.preventDefault()}>
        <SelectField
          name="status"
          label={t("desk.queue.filter")}
          value={state}
          onValue={(value) => navigate(`/ondersteuning?status=${value || "alle"}`, { replace: true })}
          options={[{ value: "", text: t("desk.queue.all") }, ...STATES.map((s) => ({ value: s, text: t(stateKey(s)) }))]}
        />
      </form>
      <ProblemBox problem={problem} />
      {!data && !problem && <Loading />}
      {data && <p role="status">{t("desk.queue.count", { count: data.total ?? 0 })}</p>}
      {data && !items.length && <p>{t("desk.queue.none")}</p>}
      {items.length > 0 && (
        <div class="table-scroll" tabIndex={0} role="region" aria-label={t("desk.queue.title")}>
          <table class="dnv-table" data-list="desk-queue">
            <caption class="visually-hidden">{t("desk.queue.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("desk.col.subject")}</th>
                <th scope="col">{t("desk.col.requester")}</th>
                <th scope="col">{t("desk.col.state")}</th>
                <th scope="col">{t("desk.col.updated")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id} data-request={item.id}>
                  <td>
                    <Link href={`/ondersteuning/verzoek?id=${item.id}`}>{item.subject}</Link>
                  </td>
                  <td>
                    {item.requester_name}
                    {!item.logged_in && ` (${t("desk.queue.logged_out")})`}
                  </td>
                  <td>{t(stateKey(item.state))}</td>
                  <td>{when(item.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}

export function SupportRequest() {
  const t = useT();
  const { id, status, setStatus, open, data, problem, loadProblem, reload, setData } = useThreadScreen(
    (id) => authorized(() => api.GET("/api/v1/desk/queue/{request_id}", { params: { path: { request_id: id } } })),
    (id, file) =>
      authorized(() =>
        api.GET("/api/v1/desk/queue/{request_id}/attachments/{attachment_id}", {
          params: { path: { request_id: id, attachment_id: file.id } },
          parseAs: "blob",
        }),
      ),
  );
  const view: SupportThread | null = data;
  return (
    <Page title={view ? t("desk.support.title", { subject: view.request.subject }) : t("desk.queue.title")}>
      <p>
        <Link href="/ondersteuning">{t("desk.support.back")}</Link>
      </p>
      <ProblemBox problem={loadProblem ?? problem} />
      <Status text={status} />
      {!view && !loadProblem && <Loading />}
      {view && (
        <>
          <dl class="facts desk-facts">
            <dt>{t("desk.support.requester")}</dt>
            <dd>{view.request.requester_name}</dd>
            <dt>{t("desk.support.email")}</dt>
            <dd>{view.request.requester_email}</dd>
            <dt>{t("desk.support.how")}</dt>
            <dd>{t(view.request.logged_in ? "desk.support.how.logged_in" : "desk.support.how.logged_out")}</dd>
            <dt>{t("desk.support.account")}</dt>
            <dd data-field="account">
              {view.request.matched_account_id
                ? t("desk.support.account.matched", { id: view.request.matched_account_id })
                : t("desk.support.account.none")}
            </dd>
            <dt>{t("desk.col.state")}</dt>
            <dd data-field="state">{t(stateKey(view.request.state))}</dd>
          </dl>
          <Posts posts={view.posts} />
          <Attachments files={view.attachments} open={open} />
          {view.request.state !== "closed" && (
            <section aria-labelledby="desk-answer-title">
              <h2 id="desk-answer-title">{t("desk.answer.title")}</h2>
              <ReplyForm
                draftKey={`${accountId()}.desk.answer.${id}`}
                label="desk.answer.field"
                hint={t("desk.answer.hint")}
                submit="desk.answer.submit"
                send={(text) =>
                  authorized(() =>
                    api.POST("/api/v1/desk/queue/{request_id}/answers", { params: { path: { request_id: id } }, body: { text } }),
                  ).then((answer) => {
                    if (answer.ok) setData(answer.data);
                    return answer;
                  })
                }
                done={() => setStatus(t("desk.answer.done"))}
              />
            </section>
          )}
          <StateForm view={view} changed={(next) => {
            setData(next);
            setStatus(t("desk.state.done"));
          }} />
          <TotpReset view={view} done={() => {
            setStatus(t("desk.reset.done"));
            window.setTimeout(reload, 1500);
          }} />
        </>
      )}
    </Page>
  );
}

function StateForm({ view, changed }: { view: SupportThread; changed: (next: SupportThread) => void }) {
  const t = useT();
  const [state, setState] = useState<string>(view.request.state === "unconfirmed" ? "open" : view.request.state);
  const form = useSubmit(
    () =>
      authorized(() =>
        api.POST("/api/v1/desk/queue/{request_id}/state", {
          params: { path: { request_id: view.request.id } },
          body: { state: state as (typeof STATES)[number] },
        }),
      ),
    changed,
  );
  return (
    <section aria-labelledby="desk-state-title">
      <h2 id="desk-state-title">{t("desk.state.title")}</h2>
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <SelectField name="state" label={t("desk.state.field")} value={state} onValue={setState}
          options={STATES.map((s) => ({ value: s, text: t(stateKey(s)) }))} problem={form.problem} />
        <Submit busy={form.busy}>{t("desk.state.submit")}</Submit>
      </form>
    </section>
  );
}

function TotpReset({ view, done }: { view: SupportThread; done: () => void }) {
  const t = useT();
  const account = view.request.matched_account_id;
  const [check, setCheck] = useState("");
  const confirmation = useConfirmation();
  const form = useSubmit(
    () =>
      authorized(() =>
        api.POST("/api/v1/admin/accounts/{account_id}/totp-reset", {
          params: { path: { account_id: account ?? "" } },
          body: { service_request_id: view.request.id, identity_check: check.trim(), reason: null },
        }),
      ),
    () => {
      setCheck("");
      confirmation.setChecked(false);
      done();
    },
  );
  return (
    <section aria-labelledby="desk-reset-title">
      <h2 id="desk-reset-title">{t("desk.reset.title")}</h2>
      {!account || view.request.state === "closed" ? (
        <p>{t("desk.reset.unavailable")}</p>
      ) : (
        <>
          <p>{t("desk.reset.intro")}</p>
          <form noValidate onSubmit={confirmation.guard(form.onSubmit)}>
            <ProblemBox problem={form.problem} />
            <TextAreaField name="identity_check" label={t("desk.reset.check")} hint={t("desk.reset.check.hint")}
              required rows={3} maxLength={1000} value={check} onValue={setCheck} problem={form.problem} />
            <ConfirmCheck id="desk-reset-sure" label={t("desk.reset.sure")} message={t("desk.reset.sure.needed")}
              confirmation={confirmation} />
            <OtherErrors problem={form.problem} shown={["identity_check"]} />
            <Submit busy={form.busy}>{t("desk.reset.submit")}</Submit>
          </form>
        </>
      )}
    </section>
  );
}
