// A text the API takes once, whole (an objection, the reason to withdraw a portfolio): kept in this browser
// as it is typed, so a reload or a closed tab loses nothing; sent only once the person ticked that they mean
// it; the kept copy removed once the API has accepted it.
import type { Outcome } from "../api/client";
import { session } from "../auth";
import { useStore } from "../store";
import { useLocalDraft } from "./draft";
import { TextAreaField } from "./fields";
import { ConfirmCheck, ProblemBox, Submit, useConfirmation, useSubmit } from "./forms";

export function KeptTextForm<T>({ draftKey, send, sent, restored, field, confirm, submit }: {
  /** What the kept copy is of, unique per form and subject; the account's id goes in front. */
  draftKey: string;
  send: (text: string) => Promise<Outcome<T>>;
  sent: () => void;
  /** Said when a kept copy was put back. */
  restored: string;
  field: { label: string; hint: string; rows: number; maxLength: number; required?: boolean };
  confirm: { id: string; label: string; message: string };
  submit: string;
}) {
  const current = useStore(session);
  const accountId = current.status === "authenticated" ? current.account.id : "";
  const draft = useLocalDraft<string>(`${accountId}.${draftKey}`, () => "");
  const confirmation = useConfirmation();
  const form = useSubmit(
    () => send(draft.value),
    () => {
      draft.clear();
      sent();
    },
  );
  return (
    <>
      {draft.restored && <p class="notice">{restored}</p>}
      <form noValidate onSubmit={confirmation.guard(form.onSubmit)}>
        <ProblemBox problem={form.problem} />
        <TextAreaField
          name="reason"
          label={field.label}
          hint={field.hint}
          required={field.required}
          rows={field.rows}
          maxLength={field.maxLength}
          value={draft.value}
          onValue={draft.change}
          problem={form.problem}
        />
        <ConfirmCheck id={confirm.id} label={confirm.label} message={confirm.message} confirmation={confirmation} />
        <Submit busy={form.busy}>{submit}</Submit>
      </form>
    </>
  );
}
