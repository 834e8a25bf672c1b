import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Outcome, Shown } from "../api/client";
import { useT } from "../i18n";

/** The problem of a refused request: its title and detail (role=alert, so it is read out), and, when it
 * names fields, a pointer to them. Focused when it appears, so keyboard and screen-reader users land on it. */
export function ProblemBox({ problem }: { problem: Shown | null }) {
  const t = useT();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (problem) box.current?.focus();
  }, [problem]);
  if (!problem) return null;
  const fields = Object.keys(problem.errors).length > 0;
  return (
    <div class="problem" role="alert" tabIndex={-1} ref={box}>
      <p class="problem-title">{problem.title}</p>
      {problem.detail && <p>{problem.detail}</p>}
      {fields && <p>{t("problem.fields")}</p>}
      {problem.requestId && problem.status >= 500 && (
        <p class="small">{t("problem.request_id", { id: problem.requestId })}</p>
      )}
    </div>
  );
}

type InputProps = {
  name: string;
  type?: "text" | "email" | "password" | "search";
  autoComplete?: string;
  inputMode?: "text" | "numeric" | "email";
  minLength?: number;
  spellcheck?: boolean;
  required?: boolean;
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: string;
  problem?: Shown | null;
  /** The field's name in the problem's `errors`, when it differs from `name`. */
  errorKey?: string;
};

/** A labelled input with its hint and its field errors next to it (aria-describedby, aria-invalid). */
export function Field({ name, label, value, onValue, hint, problem, errorKey, required, type = "text", ...rest }: InputProps) {
  const id = `field-${name}`;
  const messages = problem?.errors[errorKey ?? name] ?? [];
  const described = [hint ? `${id}-hint` : "", messages.length ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <FieldShell id={id} label={label} hint={hint} required={required} messages={messages}>
      <input
        type={type}
        id={id}
        name={name}
        value={value}
        required={required}
        aria-invalid={messages.length ? "true" : undefined}
        aria-describedby={described || undefined}
        onInput={(event) => onValue(event.currentTarget.value)}
        {...rest}
      />
    </FieldShell>
  );
}

/** A field's frame: the label, the hint (`<id>-hint`) and the field's errors (`<id>-error`) next to it; the
 * control inside carries `id` and describes itself with those ids. Every kind of field uses it. */
export function FieldShell({ id, label, hint, required, messages, children }: {
  id: string;
  label: string;
  hint?: string;
  required?: boolean;
  messages: string[];
  children: ComponentChildren;
}) {
  const t = useT();
  return (
    <div class={messages.length ? "field field-invalid" : "field"}>
      <label for={id}>
        {label}
        {required && <span class="required"> ({t("form.required")})</span>}
      </label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {messages.length > 0 && (
        <ul class="field-error" id={`${id}-error`}>
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      {children}
    </div>
  );
}

/** Errors of fields the form does not show (a rule over several fields): listed with the problem. */
export function OtherErrors({ problem, shown }: { problem: Shown | null; shown: string[] }) {
  if (!problem) return null;
  const other = Object.entries(problem.errors).filter(([field]) => !shown.includes(field));
  if (!other.length) return null;
  return (
    <ul class="field-error">
      {other.flatMap(([field, messages]) => messages.map((m) => <li key={`${field}:${m}`}>{m}</li>))}
    </ul>
  );
}

/** A form's submission: busy while it runs (the button says so), the problem when refused. */
export function useSubmit<T>(
  run: () => Promise<Outcome<T>>,
  done: (data: T) => void | Promise<void>,
): { busy: boolean; problem: Shown | null; onSubmit: (event: Event) => void; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Shown | null>(null);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    void run()
      .then(async (answer) => {
        if (answer.ok) {
          setProblem(null);
          await done(answer.data);
        } else {
          setProblem(answer.problem);
        }
      })
      .finally(() => setBusy(false));
  };
  return { busy, problem, onSubmit, clear: () => setProblem(null) };
}

export function Submit({ busy, children }: { busy: boolean; children: ComponentChildren }) {
  const t = useT();
  return (
    <button type="submit" class="primary" aria-disabled={busy ? "true" : undefined}>
      {busy ? t("app.loading") : children}
    </button>
  );
}

/** The state of a form's "I have checked this" tick box: `guard` wraps the form's submit so that it sends
 * only when the box is ticked, and otherwise shows the refusal next to the box. */
export function useConfirmation() {
  const [checked, setChecked] = useState(false);
  const [missing, setMissing] = useState(false);
  return {
    checked,
    missing,
    setChecked,
    guard: (submit: (event: Event) => void) => (event: Event) => {
      if (!checked) {
        event.preventDefault();
        setMissing(true);
        return;
      }
      submit(event);
    },
  };
}

/** "I have checked this and want to send it": a tick box a form needs before it sends (a supplement, an
 * objection), with the refusal next to it when one tried to send without it. */
export function ConfirmCheck({ id, label, message, confirmation }: {
  id: string;
  label: string;
  message: string;
  confirmation: ReturnType<typeof useConfirmation>;
}) {
  const shown = confirmation.missing && !confirmation.checked;
  return (
    <>
      <div class="check">
        <input
          type="checkbox"
          id={id}
          checked={confirmation.checked}
          aria-invalid={shown ? "true" : undefined}
          aria-describedby={shown ? `${id}-error` : undefined}
          onChange={(e) => confirmation.setChecked(e.currentTarget.checked)}
        />
        <label for={id}>{label}</label>
      </div>
      {shown && (
        <p class="field-error" id={`${id}-error`} role="alert">
          {message}
        </p>
      )}
    </>
  );
}
