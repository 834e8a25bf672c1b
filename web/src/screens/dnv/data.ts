// What the DNV screens read from the API, as the OpenAPI document types it.
import { api } from "../../api/client";
import type { components } from "../../api/schema";
import { authorized } from "../../auth";
import { useLocalDraft } from "../../components/draft";
import type { Language, Params, TextKey } from "../../i18n";

type Schemas = components["schemas"];
export type CaseDetail = Schemas["CaseDetail"];
export type CaseSummary = Schemas["CaseListItem"];
export type CaseState = NonNullable<CaseSummary["state"]>;
export type PeCheck = Schemas["PeCheck"];
export type CheckedActivity = Schemas["CheckedActivity"];
export type AssessorOption = Schemas["AssessorOption"];
export type Overview = Schemas["ComposedOverview"];
export type Decision = Schemas["Decision"];
export type ImportResult = Schemas["ImportResult"];
export type Advice = NonNullable<Schemas["AdviceSummary"]["advice"]>;

/** Every state of a case, in the order a case passes them (as the gateway's overview counts them). */
export const STATES: readonly CaseState[] = [
  "opened", "pe_check_failed", "pe_supplement_due", "pe_supplement_received", "awaiting_payment",
  "ready_for_assignment", "assigned", "advised", "supplement_due", "supplement_received", "reassessing",
  "reassessed", "objection_upheld", "decided", "withdrawn",
];

export function stateKey(state: string | undefined): TextKey {
  return (STATES as readonly string[]).includes(state ?? "") ? (`dnv.state.${state}` as TextKey) : "dnv.state.unknown";
}

/** A case's short reference, as staff say it on the phone: the first 8 characters of its id. */
export function reference(id: string | undefined): string {
  return (id ?? "").slice(0, 8).toUpperCase();
}

export function caseHref(id: string | undefined, screen = ""): string {
  return `/dnv/zaak${screen}?id=${encodeURIComponent(id ?? "")}`;
}

export type EvidenceFile = Schemas["Evidence_assessment"];

/** A checked activity's evidence files. */
export function evidenceOf(activity: CheckedActivity): EvidenceFile[] {
  return activity.evidence ?? [];
}

/** A PE category's name in the screen's language. */
export function categoryName(name: Schemas["Texts"] | undefined, lang: Language): string | null {
  return name?.[lang] ?? null;
}

export type LineProblem = NonNullable<Schemas["Problem"]["lines"]>[number];

/** The wrong lines of a csv-rows-rejected problem (none for any other answer). */
export function linesOf(error: Schemas["Problem"] | undefined): LineProblem[] {
  return error?.lines ?? [];
}

export const getCase = (id: string) =>
  authorized(() => api.GET("/api/v1/cases/{case_id}", { params: { path: { case_id: id } } }));

/** A text typed into a form, kept in this browser until it is sent (draft.useLocalDraft): a reload or a
 * closed tab loses nothing. The third function forgets it (once sent). */
export function useKeptText(key: string): [string, (value: string) => void, () => void] {
  const draft = useLocalDraft<string>(`dnv.${key}`, () => "");
  return [draft.value, draft.change, () => {
    draft.change("");
    draft.clear();
  }];
}

/** Every action assessment writes to a case's audit trail (record_audit), and mentor_declared, which older
 * cases still have. */
const AUDIT_ACTIONS = [
  "advice_given", "assessor_assigned", "case_opened", "case_overdue", "case_resumed_at_pe_check", "case_withdrawn",
  "certificate_lapsed", "certificate_renewed", "decision_made", "invoice_paid", "mentor_declared",
  "objection_decided", "objection_filed", "pe_activity_rejected", "pe_activity_rejection_withdrawn",
  "pe_check_completed", "ready_for_assignment", "supplement_submitted", "supplement_missed",
  "supplement_to_assessor", "supplement_to_pe_check", "withdrawal_refused",
];

/** An audit-trail action said in words; one this portal does not know yet (a newer API) as "another
 * event", with its name for whoever asks the service desk. */
export function auditAction(t: (key: TextKey, params?: Params) => string, action: string | undefined): string {
  return AUDIT_ACTIONS.includes(action ?? "")
    ? t(`dnv.audit.action.${action}` as TextKey)
    : t("dnv.audit.action.unknown", { action: action ?? "" });
}

