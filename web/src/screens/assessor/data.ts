// What the assessor's screens read from the API, as the OpenAPI document types it.
import { api, type Outcome, type Schemas } from "../../api/client";
import type { paths } from "../../api/schema";
import { authorized } from "../../auth";
import { platformToday } from "../../calendar";

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

export type Snapshot = Schemas["Snapshot"];
export type SnapshotMeeting = Schemas["SnapshotMeeting"];
export type EvidenceFile = Schemas["Evidence_assessment"];
export type FormParts = NonNullable<Form["parts"]>;
export type FormFeedback = Schemas["Feedback"];

export function evidenceOf(activity: CheckedActivity): EvidenceFile[] {
  return activity.evidence ?? [];
}
export function partsOf(form: Form): FormParts {
  return form.parts;
}
export function feedbackOf(form: Form): FormFeedback {
  return form.feedback;
}

/** The round the assessor is to fill in now (1: the assessment; 2: the reassessment after a supplement),
 * or null when the case waits for someone else. */
export function roundToFill(found: CaseDetail): 1 | 2 | null {
  if (found.state === "assigned") return 1;
  if (found.state === "reassessing") return 2;
  return null;
}

/** Whether the case had its one supplement (ADR 0011): a postponed decision of DNV's stands (one annulled by
 * an upheld objection does not count). Then the assessor's advice is positive or negative. */
export function hadSupplement(found: CaseDetail): boolean {
  return (found.decisions ?? []).some((d) => d.decision === "postponed" && !d.annulled_at);
}

/** Whether a date (ISO) lies before today in the platform's calendar, as the services count deadlines. */
export function isOverdue(due: string | undefined): boolean {
  if (!due) return false;
  return due.slice(0, 10) < platformToday();
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
