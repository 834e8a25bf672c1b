// What the DNV screens read from the API, and the few answers the OpenAPI document leaves untyped
// (marshmallow Method fields: the evidence of a checked activity, a category's name, the names of a case's
// jobcoach and assessor; a csv-rows-rejected problem's lines), read here with checks instead of casts.
import { api } from "../../api/client";
import type { components } from "../../api/schema";
import { authorized } from "../../auth";
import { useLocalDraft } from "../../components/draft";
import type { Language, TextKey } from "../../i18n";

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

export function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export interface EvidenceFile {
  evidence_id: string;
  filename: string;
  content_type: string;
  size: number;
}

function isEvidence(value: unknown): value is EvidenceFile {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.evidence_id === "string" && typeof v.filename === "string" && typeof v.content_type === "string";
}

/** A checked activity's evidence (assessment's EvidenceSchema: evidence_id, filename, content_type, size). */
export function evidenceOf(activity: CheckedActivity): EvidenceFile[] {
  return Array.isArray(activity.evidence) ? activity.evidence.filter(isEvidence) : [];
}

/** A PE category's name, {nl, en}. */
export function categoryName(value: unknown, lang: Language): string | null {
  if (typeof value !== "object" || value === null) return null;
  const name = (value as Record<string, unknown>)[lang];
  return typeof name === "string" ? name : null;
}

export interface LineProblem {
  line: number;
  field: string;
  message: string;
}

/** The wrong lines of a csv-rows-rejected problem. */
export function linesOf(error: unknown): LineProblem[] {
  if (typeof error !== "object" || error === null) return [];
  const lines = (error as Record<string, unknown>).lines;
  if (!Array.isArray(lines)) return [];
  return lines.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [];
    const v = item as Record<string, unknown>;
    if (typeof v.line !== "number" || typeof v.message !== "string") return [];
    return [{ line: v.line, field: typeof v.field === "string" ? v.field : "", message: v.message }];
  });
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

const AUDIT_ACTIONS = [
  "advice_given", "assessor_assigned", "case_opened", "case_withdrawn", "certificate_lapsed", "certificate_renewed",
  "decision_made", "invoice_paid", "mentor_declared", "objection_decided", "objection_filed", "pe_activity_rejected",
  "pe_activity_rejection_withdrawn", "pe_check_completed", "ready_for_assignment", "supplement_submitted",
  "supplement_to_assessor", "supplement_to_pe_check",
];

/** An audit-trail action said in words; one this portal does not know yet (a newer API) as sent. */
export function auditAction(t: (key: TextKey) => string, action: string | undefined): string {
  return AUDIT_ACTIONS.includes(action ?? "") ? t(`dnv.audit.action.${action}` as TextKey) : (action ?? "");
}

