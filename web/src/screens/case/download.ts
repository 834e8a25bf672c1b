// A file the API gives only with the access token (a PDF): fetched as a Blob and handed to the browser as a
// real download with its name; nothing of it runs in the portal's page.
import type { Outcome } from "../../api/client";

export async function download(fetchBlob: () => Promise<Outcome<unknown>>, filename: string): Promise<Outcome<unknown>> {
  const answer = await fetchBlob();
  if (!answer.ok) return answer;
  const blob = answer.data as Blob;
  const url = URL.createObjectURL(blob.type ? blob : new Blob([blob], { type: "application/pdf" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return answer;
}
