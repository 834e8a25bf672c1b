// The PE form's controls: like forms.tsx's Field (label, hint, the problem's field errors next to the field,
// aria-invalid/aria-describedby) for the kinds Field does not offer: date, number text, select, textarea.
import type { Shown } from "../../api/client";
import { FieldShell } from "../../components/forms";

type Common = {
  name: string;
  label: string;
  hint?: string;
  problem?: Shown | null;
  required?: boolean;
  /** Extra ids that describe the control (the live points). */
  describedBy?: string;
};

function useParts({ name, hint, problem, describedBy }: Common) {
  const id = `pe-${name}`;
  const messages = problem?.errors[name] ?? [];
  const described = [hint ? `${id}-hint` : "", messages.length ? `${id}-error` : "", describedBy ?? ""]
    .filter(Boolean)
    .join(" ");
  return { id, messages, described: described || undefined, invalid: messages.length ? ("true" as const) : undefined };
}

export function TextInput(
  props: Common & { value: string; onValue: (v: string) => void; type?: "text" | "date"; inputMode?: "decimal" | "text"; max?: string; autoComplete?: string },
) {
  const parts = useParts(props);
  return (
    <FieldShell id={parts.id} label={props.label} hint={props.hint} required={props.required} messages={parts.messages}>
      <input
        type={props.type ?? "text"}
        id={parts.id}
        name={props.name}
        value={props.value}
        required={props.required}
        inputMode={props.inputMode}
        max={props.max}
        autoComplete={props.autoComplete ?? "off"}
        aria-invalid={parts.invalid}
        aria-describedby={parts.described}
        onInput={(event) => props.onValue(event.currentTarget.value)}
      />
    </FieldShell>
  );
}

export function Select(
  props: Common & { value: string; onValue: (v: string) => void; options: { value: string; label: string }[] },
) {
  const parts = useParts(props);
  return (
    <FieldShell id={parts.id} label={props.label} hint={props.hint} required={props.required} messages={parts.messages}>
      <select
        id={parts.id}
        name={props.name}
        required={props.required}
        aria-invalid={parts.invalid}
        aria-describedby={parts.described}
        onChange={(event) => props.onValue(event.currentTarget.value)}
      >
        {props.options.map((option) => (
          <option key={option.value} value={option.value} selected={option.value === props.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

export function TextArea(props: Common & { value: string; onValue: (v: string) => void }) {
  const parts = useParts(props);
  return (
    <FieldShell id={parts.id} label={props.label} hint={props.hint} required={props.required} messages={parts.messages}>
      <textarea
        id={parts.id}
        name={props.name}
        rows={4}
        value={props.value}
        aria-invalid={parts.invalid}
        aria-describedby={parts.described}
        onInput={(event) => props.onValue(event.currentTarget.value)}
      />
    </FieldShell>
  );
}
