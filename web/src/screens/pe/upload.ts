// Evidence upload with progress: XMLHttpRequest (fetch has no upload progress), the raw file as the body
// (POST /api/v1/pe/activities/{id}/evidence?filename=&kind=), the access token from memory (auth.ts: refreshed
// first when stale, once more after a 401). The answer is shown as any other: the evidence or the problem.
import { accessTokenStale, currentAccessToken, networkProblem, type Schemas, type Shown, toShown } from "../../api/client";
import { refresh } from "../../auth";
import { language } from "../../i18n";

export type EvidenceKind = Schemas["Evidence"]["kind"];
export type UploadOutcome =
  | { ok: true; status: number; evidence: Schemas["EvidenceUpload"] }
  | { ok: false; problem: Shown };

function send(
  url: string,
  file: File,
  token: string | null,
  onProgress: (fraction: number) => void,
): Promise<{ status: number; body: unknown; headers: string } | null> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept-Language", language.get());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body, headers: xhr.getAllResponseHeaders() });
    };
    xhr.onerror = () => resolve(null);
    xhr.onabort = () => resolve(null);
    xhr.send(file);
  });
}

export async function uploadEvidence(
  activityId: string,
  file: File,
  kind: EvidenceKind,
  onProgress: (fraction: number) => void,
): Promise<UploadOutcome> {
  const query = new URLSearchParams({ filename: file.name || "bewijs", kind: kind ?? "other" });
  const url = `/api/v1/pe/activities/${encodeURIComponent(activityId)}/evidence?${query}`;
  const answer = await uploadFile<Schemas["EvidenceUpload"]>(url, file, onProgress);
  return answer.ok ? { ok: true, status: answer.status, evidence: answer.body } : answer;
}

/** POST `file` as the raw body of `url` with progress; the answer's body, or the problem as any other. */
export async function uploadFile<T>(
  url: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<{ ok: true; status: number; body: T } | { ok: false; problem: Shown }> {
  if (accessTokenStale()) await refresh();
  let answer = await send(url, file, currentAccessToken(), onProgress);
  if (answer?.status === 401 && (await refresh())) {
    onProgress(0);
    answer = await send(url, file, currentAccessToken(), onProgress);
  }
  if (!answer) return { ok: false, problem: networkProblem() };
  if (answer.status >= 200 && answer.status < 300) {
    return { ok: true, status: answer.status, body: answer.body as T };
  }
  const headers = new Headers();
  for (const line of answer.headers.trim().split(/[\r\n]+/)) {
    const at = line.indexOf(":");
    if (at > 0) headers.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return { ok: false, problem: toShown(answer.body, new Response(null, { status: answer.status, headers })) };
}
