// Fields forms.tsx does not have (a text area, a select, a date, a number, a file), with the same label,
// hint and field errors next to the field (aria-describedby, aria-invalid) as forms.tsx's Field.
import type { JSX } from "preact";
import type { Shown } from "../api/client";
import { FieldShell } from "./forms";

interface Shell {
  name: string;
  label: string;
  hint?: string;
  required?: boolean;
  problem?: Shown | null;
  errorKey?: string;
}

function described(name: string, hint: string | undefined, messages: string[]) {
  const id = `field-${name}`;
  const ids = [hint ? `${id}-hint` : "", messages.length ? `${id}-error` : ""].filter(Boolean).join(" ");
  return {
    id,
    "aria-invalid": messages.length ? ("true" as const) : undefined,
    "aria-describedby": ids || undefined,
  };
}

type Extra = Omit<JSX.HTMLAttributes<HTMLInputElement>, "value" | "onInput" | "name" | "label" | "type">;

/** An input of a type forms.tsx's Field does not take: date, number. */
export function InputField(
  props: Shell & { type: "date" | "number"; value: string; onValue: (value: string) => void } & Extra,
) {
  const { name, label, hint, required, problem, errorKey, type, value, onValue, ...rest } = props;
  const messages = problem?.errors[errorKey ?? name] ?? [];
  return (
    <FieldShell id={`field-${name}`} label={label} hint={hint} required={required} messages={messages}>
      <input
        type={type}
        name={name}
        value={value}
        required={required}
        onInput={(event) => onValue(event.currentTarget.value)}
        {...described(name, hint, messages)}
        {...rest}
      />
    </FieldShell>
  );
}

export function TextAreaField(
  props: Shell & { value: string; onValue: (value: string) => void; onBlur?: () => void; rows?: number; maxLength?: number; readOnly?: boolean },
) {
  const { name, label, hint, required, problem, errorKey, value, onValue, onBlur, rows = 14, maxLength, readOnly } = props;
  const messages = problem?.errors[errorKey ?? name] ?? [];
  return (
    <FieldShell id={`field-${name}`} label={label} hint={hint} required={required} messages={messages}>
      <textarea
        name={name}
        rows={rows}
        maxLength={maxLength}
        readOnly={readOnly}
        value={value}
        spellcheck
        onInput={(event) => onValue(event.currentTarget.value)}
        onBlur={onBlur}
        {...described(name, hint, messages)}
      />
    </FieldShell>
  );
}

export function SelectField(
  props: Shell & { value: string; onValue: (value: string) => void; options: { value: string; text: string }[] },
) {
  const { name, label, hint, required, problem, errorKey, value, onValue, options } = props;
  const messages = problem?.errors[errorKey ?? name] ?? [];
  return (
    <FieldShell id={`field-${name}`} label={label} hint={hint} required={required} messages={messages}>
      <select
        name={name}
        value={value}
        required={required}
        onChange={(event) => onValue(event.currentTarget.value)}
        {...described(name, hint, messages)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.text}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}
