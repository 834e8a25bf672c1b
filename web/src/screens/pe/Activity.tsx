import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, type Outcome, type Shown } from "../../api/client";
import { authorized, session } from "../../auth";
import { platformToday } from "../../calendar";
import { OtherErrors, ProblemBox, Submit } from "../../components/forms";
import { Page } from "../../components/Layout";
import { formatNumber, useT } from "../../i18n";
import { Link, navigate, usePlace } from "../../router";
import { Select, TextArea, TextInput } from "./controls";
import { type Activity, type Categories, flash, loadCategories, useFlash, points, useLoad } from "./data";
import { Evidence } from "./Evidence";
import { livePoints } from "./points";
import { ACTIVITY_FIELDS, type ActivityDraft as Draft, activityBody, typedAmount } from "./activityDraft";
import "./pe.css";

function fromActivity(activity: Activity | null): Draft {
  return {
    title: activity?.title ?? "",
    provider: activity?.provider ?? "",
    completed_on: activity?.completed_on ?? "",
    category: activity ? String(activity.category ?? "") : "1",
    amount: activity?.amount ? typedAmount(activity.amount) : "",
    unit: activity?.unit ?? "sbu",
    description: activity?.description ?? "",
  };
}

// Drafts: what is typed is kept in this tab (sessionStorage, per account and activity) until it is saved, so
// a reload or a failed save loses nothing. No token is ever kept there.
function draftKey(activityId: string | null): string {
  const current = session.get();
  const account = current.status === "authenticated" ? current.account.id : "anonymous";
  return `recert.pe.draft.${account}.${activityId ?? "new"}`;
}

function readDraft(activityId: string | null): Draft | null {
  try {
    const raw = sessionStorage.getItem(draftKey(activityId));
    return raw ? (JSON.parse(raw) as Draft) : null;
  } catch {
    return null;
  }
}

function writeDraft(activityId: string | null, draft: Draft | null): void {
  try {
    if (draft) sessionStorage.setItem(draftKey(activityId), JSON.stringify(draft));
    else sessionStorage.removeItem(draftKey(activityId));
  } catch {
    // storage refused: the form still works, only without a draft
  }
}

/** /pe/nieuw and /pe/activiteit?id=…: the form, and for an existing activity its evidence and removal. */
export function PeActivity() {
  const t = useT();
  const { path, query } = usePlace();
  const id = path === "/pe/activiteit" ? query.get("id") : null;
  const loaded = useLoad<[Categories, Activity | null]>(async () => {
    const categories = await loadCategories();
    if (!categories.ok) return categories;
    if (!id) return { ok: true, data: [categories.data, null], response: categories.response };
    const activity = await authorized(() => api.GET("/api/v1/pe/activities/{activity_id}", { params: { path: { activity_id: id } } }));
    if (!activity.ok) return activity;
    return { ok: true, data: [categories.data, activity.data], response: activity.response };
  }, [id]);
  const title = t(id ? "pe.form.edit.title" : "pe.form.add.title");
  const message = useFlash();
  return (
    <Page title={title}>
      <p>
        <Link href="/pe">{t("pe.form.back")}</Link>
      </p>
      {message && (
        <p class="notice pe-flash" role="status">
          {message}
        </p>
      )}
      <ProblemBox problem={loaded.problem} />
      {!loaded.data && !loaded.problem && <p aria-busy="true">{t("app.loading")}</p>}
      {loaded.data && (
        <>
          <ActivityForm
            key={loaded.data[1]?.updated_at ?? "new"}
            categories={loaded.data[0]}
            activity={loaded.data[1]}
            saved={(activity) => loaded.setData([loaded.data![0], activity])}
          />
          {loaded.data[1] && !loaded.data[1].locked && (
            <>
              <Evidence activity={loaded.data[1]} changed={loaded.reload} />
              <Remove activity={loaded.data[1]} />
            </>
          )}
        </>
      )}
    </Page>
  );
}

function ActivityForm({ categories, activity, saved }: { categories: Categories; activity: Activity | null; saved: (a: Activity) => void }) {
  const t = useT();
  const activityId = activity?.id ?? null;
  const initial = useMemo(() => readDraft(activityId), [activityId]);
  const [draft, setDraft] = useState<Draft>(initial ?? fromActivity(activity));
  const [restored] = useState(initial !== null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Shown | null>(null);
  const locked = activity?.locked ?? false;

  const set = (field: keyof Draft) => (value: string) => {
    const next = { ...draft, [field]: value };
    setDraft(next);
    setDone(null);
    writeDraft(activityId, next);
  };

  const units = categories.units ?? [];
  const rule = units.find((u) => u.unit === draft.unit);
  const live = livePoints(draft.amount, rule as Parameters<typeof livePoints>[1]);
  const unitName = rule?.name ?? draft.unit;

  const submit = (event: Event) => {
    event.preventDefault();
    if (busy || locked) return;
    setBusy(true);
    const body = activityBody(draft);
    const call: Promise<Outcome<Activity>> = activityId
      ? authorized(() => api.PATCH("/api/v1/pe/activities/{activity_id}", { params: { path: { activity_id: activityId } }, body }))
      : authorized(() => api.POST("/api/v1/pe/activities", { body }));
    void call
      .then((answer) => {
        if (!answer.ok) {
          setProblem(answer.problem);
          return;
        }
        setProblem(null);
        writeDraft(activityId, null);
        const pts = points(answer.data.points);
        if (activityId) {
          flash.set({ to: "/pe/activiteit", text: t("pe.form.saved", { points: pts }) });
          saved(answer.data);
        } else {
          flash.set({ to: "/pe/activiteit", text: t("pe.form.created", { points: pts }) });
          navigate(`/pe/activiteit?id=${encodeURIComponent(answer.data.id ?? "")}`);
        }
      })
      .finally(() => setBusy(false));
  };

  const liveText =
    live.kind === "empty"
      ? t("pe.form.live.empty")
      : live.kind === "invalid"
        ? t("pe.form.live.invalid")
        : live.kind === "too_large"
          ? t("pe.form.live.too_large", { maximum: formatNumber(live.maximum), unit: unitName })
          : live.points === "1"
            ? t("pe.form.live.one")
            : t("pe.form.live", { points: formatNumber(live.points) });

  if (locked) return <p class="notice">{t("pe.form.locked")}</p>;
  return (
    <form class="pe-form" onSubmit={submit} noValidate>
      {restored && <p class="notice">{t("pe.form.draft.restored")}</p>}
      <ProblemBox problem={problem} />
      <OtherErrors problem={problem} shown={ACTIVITY_FIELDS} />
      <fieldset class="pe-fieldset">
        <legend>{t("pe.form.details")}</legend>
        <TextInput name="title" label={t("pe.form.title")} hint={t("pe.form.title.hint")} required value={draft.title} onValue={set("title")} problem={problem} />
        <TextInput name="provider" label={t("pe.form.provider")} hint={t("pe.form.provider.hint")} required value={draft.provider} onValue={set("provider")} problem={problem} />
        <TextInput name="completed_on" type="date" label={t("pe.form.completed_on")} required max={platformToday()} value={draft.completed_on} onValue={set("completed_on")} problem={problem} />
        <Select
          name="category"
          label={t("pe.form.category")}
          required
          value={draft.category}
          onValue={set("category")}
          problem={problem}
          options={(categories.categories ?? []).map((c) => ({
            value: String(c.number),
            label: `${c.number}. ${c.name} (${[
              c.minimum && c.minimum !== "0" ? t("pe.form.category.limits.min", { minimum: formatNumber(c.minimum) }) : "",
              c.maximum ? t("pe.form.category.limits.max", { maximum: formatNumber(c.maximum) }) : "",
            ].filter(Boolean).join(", ") || "–"})`,
          }))}
        />
        <div class="pe-amount">
          <TextInput name="amount" inputMode="decimal" label={t("pe.form.amount")} hint={t("pe.form.amount.hint")} required value={draft.amount} onValue={set("amount")} problem={problem} describedBy="pe-live" />
          <Select
            name="unit"
            label={t("pe.form.unit")}
            required
            value={draft.unit}
            onValue={set("unit")}
            problem={problem}
            describedBy="pe-live"
            options={units.map((u) => ({ value: u.unit ?? "", label: t("pe.form.unit.max", { name: u.name ?? "", maximum: formatNumber(u.max_per_activity ?? "0") }) }))}
          />
        </div>
        <p id="pe-live" class={live.kind === "points" ? "pe-live" : "pe-live pe-live-muted"} aria-live="polite" data-field="live-points">
          {liveText}
        </p>
        <p class="hint">{t("pe.form.live.note")}</p>
        <TextArea name="description" label={t("pe.form.description")} hint={t("pe.form.description.hint")} value={draft.description} onValue={set("description")} problem={problem} />
      </fieldset>
      <p class="hint">{t("pe.form.draft")}</p>
      {done && <p role="status">{done}</p>}
      <Submit busy={busy}>{t(activityId ? "pe.form.save.edit" : "pe.form.save.add")}</Submit>
    </form>
  );
}

function Remove({ activity }: { activity: Activity }) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Shown | null>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const start = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  const remove = () => {
    if (busy) return;
    setBusy(true);
    void authorized(() => api.DELETE("/api/v1/pe/activities/{activity_id}", { params: { path: { activity_id: activity.id ?? "" } } }))
      .then((answer) => {
        if (!answer.ok) {
          setProblem(answer.problem);
          return;
        }
        writeDraft(activity.id ?? null, null);
        flash.set({ to: "/pe", text: t("pe.remove.done", { title: activity.title ?? "" }) });
        navigate("/pe");
      })
      .finally(() => setBusy(false));
  };
  return (
    <section class="pe-remove" aria-labelledby="pe-remove-title">
      <h2 id="pe-remove-title">{t("pe.remove.title")}</h2>
      <ProblemBox problem={problem} />
      {asking ? (
        <div role="group" aria-labelledby="pe-remove-question">
          <p id="pe-remove-question">{t("pe.remove.confirm.text")}</p>
          <p class="actions">
            <button type="button" class="danger" ref={confirm} onClick={remove} aria-disabled={busy ? "true" : undefined}>
              {busy ? t("app.loading") : t("pe.remove.confirm")}
            </button>
            <button
              type="button"
              onClick={() => {
                setAsking(false);
                setTimeout(() => start.current?.focus(), 0);
              }}
            >
              {t("pe.remove.cancel")}
            </button>
          </p>
        </div>
      ) : (
        <button type="button" ref={start} onClick={() => setAsking(true)}>
          {t("pe.remove.start")}
        </button>
      )}
    </section>
  );
}
