// "Laat je bewijs lezen" (issue 14, ADR 0027): the jobcoach uploads a certificate, a confirmation e-mail or a
// screenshot or photo; pe-registry's worker reads it and proposes the activity. /pe/lezen: the upload and the
// documents being read; /pe/lezen/voorstel?id=…: one reading, pending until read (the screen asks again
// every two seconds and says so politely when the proposal arrives), then its proposal as a prefilled form
// (kept as one types, useLocalDraft) to confirm or correct, or to dismiss. Nothing is recorded without the
// confirmation.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas, type Shown } from "../../api/client";
import { authorized, session } from "../../auth";
import { useLocalDraft } from "../../components/draft";
import { OtherErrors, ProblemBox, Submit } from "../../components/forms";
import { Page } from "../../components/Layout";
import { acceptOf, formatSize, rulesHint, useUploadRules } from "../../components/uploadRules";
import { formatDate, formatNumber, useT } from "../../i18n";
import { Link, navigate, usePlace } from "../../router";
import { Select, TextArea, TextInput } from "./controls";
import { type Categories, flash, loadCategories, points, useFlash, useLoad } from "./data";
import { livePoints } from "./points";
import { ACTIVITY_FIELDS, type ActivityDraft as Draft, activityBody, typedAmount } from "./activityDraft";
import { uploadFile } from "./upload";
import "./pe.css";

type Reading = Schemas["Reading"];

const STATE = { pending: "reading.state.pending", proposed: "reading.state.proposed", failed: "reading.state.failed" } as const;

/** The link's text (its accessible name adds the file's name, after the visible words). */
function action(reading: Reading) {
  return reading.state === "pending" ? "reading.list.follow" : "reading.list.open";
}

/** How often a screen asks again while a document is being read. */
const POLL_MS = 2000;

/** Ask again after POLL_MS while `pending`; stops when the screen closes. */
function usePoll(pending: boolean, reload: () => void, deps: unknown[]) {
  useEffect(() => {
    if (!pending) return;
    const timer = window.setTimeout(reload, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [pending, ...deps]);
}

/** /pe/lezen */
export function PeReading() {
  const t = useT();
  const message = useFlash();
  const loaded = useLoad(() => authorized(() => api.GET("/api/v1/pe/readings", { params: { query: { page_size: 50 } } })));
  const items = loaded.data?.items ?? [];
  usePoll(items.some((r) => r.state === "pending"), loaded.reload, [loaded.data]);
  return (
    <Page title={t("reading.title")}>
      <p>
        <Link href="/pe">{t("pe.form.back")}</Link>
      </p>
      {message && (
        <p class="notice pe-flash" role="status">
          {message}
        </p>
      )}
      <p>{t("reading.intro")}</p>
      <p class="hint">{t("reading.intro.confirm")}</p>
      <Upload />
      <section class="pe-readings" aria-labelledby="reading-list-title">
        <h2 id="reading-list-title">{t("reading.list.title")}</h2>
        <ProblemBox problem={loaded.problem} />
        {!loaded.data && !loaded.problem && <p aria-busy="true">{t("app.loading")}</p>}
        {loaded.data && items.length === 0 && <p>{t("reading.list.none")}</p>}
        {items.length > 0 && (
          <ul class="pe-activities">
            {items.map((reading) => (
              <li key={reading.id} class="pe-activity">
                <p class="pe-activity-title">{reading.filename}</p>
                <p>
                  <span class={reading.state === "failed" ? "pe-badge pe-badge-missing" : "pe-badge"}>{t(STATE[reading.state ?? "pending"])}</span>
                </p>
                <p>
                  <Link href={`/pe/lezen/voorstel?id=${encodeURIComponent(reading.id ?? "")}`} aria-label={`${t(action(reading))}: ${reading.filename ?? ""}`}>
                    {t(action(reading))}
                  </Link>
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
    </Page>
  );
}

function Upload() {
  const t = useT();
  const rules = useUploadRules("reading");
  const chooser = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<{ name: string; fraction: number } | null>(null);
  const [problem, setProblem] = useState<Shown | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const submit = (event: Event) => {
    event.preventDefault();
    const file = chooser.current?.files?.[0];
    if (progress) return;
    if (!file) {
      setStatus(t("reading.upload.choose_first"));
      chooser.current?.focus();
      return;
    }
    if (rules && file.size > rules.max_bytes) {
      setStatus(t("pe.upload.too_large", { name: file.name, size: formatSize(rules.max_bytes) }));
      return;
    }
    setProblem(null);
    setStatus(null);
    setProgress({ name: file.name, fraction: 0 });
    const url = `/api/v1/pe/readings?${new URLSearchParams({ filename: file.name || "bewijs" })}`;
    void uploadFile<Reading>(url, file, (fraction) => setProgress({ name: file.name, fraction })).then((answer) => {
      setProgress(null);
      if (!answer.ok) {
        setProblem(answer.problem);
        return;
      }
      navigate(`/pe/lezen/voorstel?id=${encodeURIComponent(answer.body.id ?? "")}`);
    });
  };

  return (
    <form class="pe-evidence" onSubmit={submit} noValidate aria-labelledby="reading-upload-title">
      <h2 id="reading-upload-title">{t("reading.upload.title")}</h2>
      <ProblemBox problem={problem} />
      <p>
        <label for="reading-file">{t("reading.upload.label")}</label>
        <input id="reading-file" name="file" type="file" ref={chooser} accept={acceptOf(rules)} aria-describedby="reading-file-hint" />
      </p>
      <p id="reading-file-hint" class="hint">
        {t("reading.upload.hint")} {rulesHint(t, rules)}
      </p>
      {progress && (
        <div class="pe-progress">
          <label for="reading-progress">{t("pe.upload.progress", { name: progress.name })}</label>
          <progress id="reading-progress" max={100} value={Math.round(progress.fraction * 100)}>
            {Math.round(progress.fraction * 100)}%
          </progress>
        </div>
      )}
      <p role="status">{status}</p>
      <Submit busy={progress !== null}>{t("reading.upload.submit")}</Submit>
    </form>
  );
}

/** /pe/lezen/voorstel?id=… */
export function PeReadingProposal() {
  const t = useT();
  const { query } = usePlace();
  const id = query.get("id") ?? "";
  const loaded = useLoad(async () => {
    const categories = await loadCategories();
    if (!categories.ok) return categories;
    const reading = await authorized(() => api.GET("/api/v1/pe/readings/{reading_id}", { params: { path: { reading_id: id } } }));
    if (!reading.ok) return reading;
    return { ok: true as const, data: { categories: categories.data, reading: reading.data } };
  }, [id]);
  const reading = loaded.data?.reading;
  const pending = reading?.state === "pending";
  usePoll(pending, loaded.reload, [loaded.data]);
  return (
    <Page title={t("reading.proposal.title")}>
      <p>
        <Link href="/pe/lezen">{t("reading.back")}</Link>
      </p>
      <ProblemBox problem={loaded.problem} />
      {!loaded.data && !loaded.problem && <p aria-busy="true">{t("app.loading")}</p>}
      {/* One live region for the whole wait: "being read", then "ready" or "could not be read". */}
      <p role="status" class={pending ? "notice pe-reading-pending" : "notice"} aria-busy={pending ? "true" : undefined} data-state={reading?.state}>
        {reading &&
          (pending
            ? t("reading.proposal.pending", { name: reading.filename ?? "" })
            : reading.state === "proposed"
              ? t("reading.proposal.ready", { name: reading.filename ?? "" })
              : reading.failure_message ?? t("reading.state.failed"))}
      </p>
      {loaded.data && reading && !pending && <ProposalForm key={reading.id} categories={loaded.data.categories} reading={reading} />}
      {reading && <Dismiss reading={reading} />}
    </Page>
  );
}

function ProposalForm({ categories, reading }: { categories: Categories; reading: Reading }) {
  const t = useT();
  const proposal = reading.proposal;
  const current = session.get();
  const account = current.status === "authenticated" ? current.account.id : "anonymous";
  const draft = useLocalDraft<Draft>(`${account}.reading.${reading.id ?? ""}`, () => ({
    title: proposal?.title ?? "",
    provider: proposal?.provider ?? "",
    completed_on: proposal?.completed_on ?? "",
    category: "",
    amount: proposal?.amount ? typedAmount(proposal.amount) : "",
    unit: proposal?.unit ?? "sbu",
    description: "",
  }));
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Shown | null>(null);
  const value = draft.value;
  const set = (field: keyof Draft) => (next: string) => draft.change({ ...value, [field]: next });
  const units = categories.units ?? [];
  const rule = units.find((u) => u.unit === value.unit);
  const live = livePoints(value.amount, rule as Parameters<typeof livePoints>[1]);

  const submit = (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    const body = activityBody(value);
    void authorized(() => api.POST("/api/v1/pe/readings/{reading_id}/confirm", { params: { path: { reading_id: reading.id ?? "" } }, body }))
      .then((answer) => {
        if (!answer.ok) {
          setProblem(answer.problem);
          return;
        }
        draft.clear();
        flash.set({ to: "/pe/activiteit", text: t("reading.confirmed", { points: points(answer.data.points) }) });
        navigate(`/pe/activiteit?id=${encodeURIComponent(answer.data.id ?? "")}`);
      })
      .finally(() => setBusy(false));
  };

  return (
    <form class="pe-form" onSubmit={submit} noValidate aria-labelledby="reading-form-title">
      <h2 id="reading-form-title">{t(proposal ? "reading.form.title" : "reading.form.title.manual")}</h2>
      <p class="hint">{t("reading.form.check")}</p>
      {draft.restored && <p class="notice">{t("pe.form.draft.restored")}</p>}
      <ProblemBox problem={problem} />
      <OtherErrors problem={problem} shown={ACTIVITY_FIELDS} />
      <fieldset class="pe-fieldset">
        <legend>{t("pe.form.details")}</legend>
        <TextInput name="title" label={t("pe.form.title")} required value={value.title} onValue={set("title")} problem={problem} />
        <TextInput name="provider" label={t("pe.form.provider")} required value={value.provider} onValue={set("provider")} problem={problem} />
        <TextInput name="completed_on" type="date" label={t("pe.form.completed_on")} required value={value.completed_on} onValue={set("completed_on")} problem={problem} />
        <Select
          name="category"
          label={t("pe.form.category")}
          hint={t("reading.form.category.hint")}
          required
          value={value.category}
          onValue={set("category")}
          problem={problem}
          options={[
            { value: "", label: t("reading.form.category.choose") },
            ...(categories.categories ?? []).map((c) => ({ value: String(c.number), label: `${c.number}. ${c.name}` })),
          ]}
        />
        <div class="pe-amount">
          <TextInput name="amount" inputMode="decimal" label={t("pe.form.amount")} required value={value.amount} onValue={set("amount")} problem={problem} describedBy="reading-live" />
          <Select
            name="unit"
            label={t("pe.form.unit")}
            required
            value={value.unit}
            onValue={set("unit")}
            problem={problem}
            describedBy="reading-live"
            options={units.map((u) => ({ value: u.unit ?? "", label: u.name ?? "" }))}
          />
        </div>
        <p id="reading-live" class={live.kind === "points" ? "pe-live" : "pe-live pe-live-muted"} aria-live="polite">
          {live.kind === "points" ? t("pe.form.live", { points: formatNumber(live.points) }) : t("pe.form.live.empty")}
        </p>
        <TextArea name="description" label={t("pe.form.description")} value={value.description} onValue={set("description")} problem={problem} />
      </fieldset>
      {proposal?.completed_on && <p class="hint">{t("reading.form.date.read", { date: formatDate(proposal.completed_on) })}</p>}
      <p class="hint">{t("reading.form.draft")}</p>
      <Submit busy={busy}>{t("reading.form.confirm")}</Submit>
    </form>
  );
}

function Dismiss({ reading }: { reading: Reading }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Shown | null>(null);
  const dismiss = () => {
    if (busy) return;
    setBusy(true);
    void authorized(() => api.DELETE("/api/v1/pe/readings/{reading_id}", { params: { path: { reading_id: reading.id ?? "" } } }))
      .then((answer) => {
        if (!answer.ok) {
          setProblem(answer.problem);
          return;
        }
        flash.set({ to: "/pe/lezen", text: t("reading.dismissed", { name: reading.filename ?? "" }) });
        navigate("/pe/lezen");
      })
      .finally(() => setBusy(false));
  };
  return (
    <section class="pe-remove" aria-labelledby="reading-dismiss-title">
      <h2 id="reading-dismiss-title">{t("reading.dismiss.title")}</h2>
      <p>{t("reading.dismiss.text")}</p>
      <ProblemBox problem={problem} />
      <button type="button" onClick={dismiss} aria-disabled={busy ? "true" : undefined}>
        {busy ? t("app.loading") : t("reading.dismiss")}
      </button>
    </section>
  );
}
