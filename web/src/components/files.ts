// Files the API gives only with the access token (a PDF, evidence): fetched as a Blob and handed to the
// browser as a real download with its name. Nothing of the file runs in the portal's page.
import type { Outcome } from "../api/client";

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

/** Fetches a file (`fetchBlob`: an API call with `parseAs: "blob"`) and saves it as `filename`; the
 * answer is returned so that a refusal can be shown. */
export async function download<T>(fetchBlob: () => Promise<Outcome<T>>, filename: string): Promise<Outcome<T>> {
  const answer = await fetchBlob();
  if (answer.ok) saveBlob(answer.data as unknown as Blob, filename);
  return answer;
}
