// What the assessor's screens read from the API, and the few shapes the OpenAPI document leaves untyped.
import { api, type Outcome, type Schemas } from "../../api/client";
import type { paths } from "../../api/schema";
import { authorized } from "../../auth";

type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: { content: { "application/json": infer T } } }
    ? T
    : never
  : never;

export type Worklist = Json<"/api/v1/worklist", "get">;
export type ToDo = NonNullable<NonNullable<Worklist["to_do"]>["items"]>[number];
export type Waiting = NonNullable<NonNullable<Worklist["waiting"]>["items"]>[number];
export type CaseDetail = Schemas["CaseDetail"];
export type PeCheck = Schemas["PeCheck"];
export type CheckedActivity = Schemas["CheckedActivity"];
export type Form = Schemas["Form"];
export type AdviceInput = Schemas["AdviceInput"];
export type Submission = Schemas["SubmissionDetail"];

export const ASSESSED = ["A1", "A3", "B"] as const;
export type AssessedPart = (typeof ASSESSED)[number];
export const FEEDBACK = ["A2", "A4"] as const;
export const A_PARTS = ["A1", "A2", "A3", "A4"] as const;
export type Verdict = "meets" | "does_not_meet";
export type Advice = "positive" | "postponed" | "negative";

// API gaps: these members are marshmallow Method fields, untyped in the document. Their shapes are those of
// portfolio's snapshot.py (the snapshot), assessment's EvidenceSchema (a checked activity's evidence) and
// assessment's FormSchema (a form's parts and feedback). Read defensively: every member may be absent.
export interface SnapshotMeeting {
  id?: string;
  met_on?: string;
  kind?: string;
  group_name?: string | null;
  supervisor_name?: string | null;
  duration_minutes?: number | null;
  source?: string;
  proof?: { id?: string; filename?: string; content_type?: string; size?: number } | null;
}
export interface Snapshot {
  parts?: Partial<Record<(typeof A_PARTS)[number], {
    text?: string;
    meeting_id?: string | null;
    executive_jobcoach_declared_at?: string | null;
    currently_executive_jobcoach_declared_at?: string | null;
  }>>;
  reflection_meetings?: SnapshotMeeting[];
  required_reflection_meetings?: number;
  supplement?: { parts?: string[]; assignments?: { part?: string; assignment?: string }[]; due_on?: string };
}
export interface EvidenceFile {
  evidence_id?: string;
  filename?: string;
  content_type?: string;
  size?: number;
}
export type FormParts = Partial<Record<AssessedPart, { verdict?: Verdict; findings?: string }>>;
export type FormFeedback = Partial<Record<"A2" | "A4", string | null>>;

export function snapshotOf(submission: Submission): Snapshot {
  return (submission.snapshot ?? {}) as Snapshot;
}
export function evidenceOf(activity: CheckedActivity): EvidenceFile[] {
  return Array.isArray(activity.evidence) ? (activity.evidence as EvidenceFile[]) : [];
}
export function partsOf(form: Form): FormParts {
  return (form.parts ?? {}) as FormParts;
}
export function feedbackOf(form: Form): FormFeedback {
  return (form.feedback ?? {}) as FormFeedback;
}

/** The round the assessor is to fill in now (1: the assessment; 2: the reassessment after a supplement),
 * or null when the case waits for someone else. */
export function roundToFill(found: CaseDetail): 1 | 2 | null {
  if (found.state === "assigned") return 1;
  if (found.state === "reassessing") return 2;
  return null;
}

/** Whether a date (ISO) lies before today, in the browser's day. */
export function isOverdue(due: string | undefined): boolean {
  if (!due) return false;
  const now = new Date();
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
  return due.slice(0, 10) < today;
}

export const getCase = (id: string) =>
  authorized(() => api.GET("/api/v1/cases/{case_id}", { params: { path: { case_id: id } } }));

export const getSubmission = (id: string) =>
  authorized(() =>
    api.GET("/api/v1/portfolio/submissions/{submission_id}", { params: { path: { submission_id: id } } }),
  );

export const getPeCheck = (id: string) =>
  authorized(() => api.GET("/api/v1/cases/{case_id}/pe-check", { params: { path: { case_id: id } } }));

export const getForm = (id: string, round?: 1 | 2) =>
  authorized(() =>
    api.GET("/api/v1/cases/{case_id}/form", { params: { path: { case_id: id }, query: round ? { round } : {} } }),
  );

// --- files, fetched with the token into a Blob (never a same-origin page running the file) -------------------

export type FileSource =
  | { kind: "evidence"; evidenceId: string }
  | { kind: "proof"; submissionId: string; meetingId: string }
  | { kind: "form"; caseId: string; round?: 1 | 2 };

export function fetchFile(source: FileSource): Promise<Outcome<Blob>> {
  switch (source.kind) {
    case "evidence":
      return authorized(() =>
        api.GET("/api/v1/pe/evidence/{evidence_id}/content", {
          params: { path: { evidence_id: source.evidenceId } },
          parseAs: "blob",
        }),
      );
    case "proof":
      return authorized(() =>
        api.GET("/api/v1/portfolio/submissions/{submission_id}/meetings/{meeting_id}/proof", {
          params: { path: { submission_id: source.submissionId, meeting_id: source.meetingId } },
          parseAs: "blob",
        }),
      );
    case "form":
      return authorized(() =>
        api.GET("/api/v1/cases/{case_id}/form.pdf", {
          params: { path: { case_id: source.caseId }, query: source.round ? { round: source.round } : {} },
          parseAs: "blob",
        }),
      );
  }
}

/** Images the browser shows inline as <img src="blob:…"> (an image cannot run script). Anything else is
 * offered as a download. */
export function showsInline(contentType: string | undefined): boolean {
  return contentType === "image/png" || contentType === "image/jpeg";
}

/** Saves a Blob as a file with this name (a temporary link with `download`; the object URL is freed after). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "_") || "bestand";
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
