// What a service takes as an uploaded file, as it publishes it (pe-registry's evidence rules, portfolio's
// proof rules): shown before the upload and used for the file chooser. The upload is still checked by the
// API; its refusal is shown as any other problem.
import { api, type Outcome, type Schemas } from "../api/client";
import { authorized } from "../auth";
import { formatList, formatNumber, language, type TextKey } from "../i18n";
import { useLoad } from "./useLoad";

export type UploadRules = Schemas["UploadRules"];

const RULES = {
  evidence: () => authorized(() => api.GET("/api/v1/pe/evidence-rules")),
  proof: () => authorized(() => api.GET("/api/v1/portfolio/meetings/proof-rules")),
  reading: () => authorized(() => api.GET("/api/v1/pe/reading-rules")),
  desk: () => authorized(() => api.GET("/api/v1/desk/attachment-rules")),
} satisfies Record<string, () => Promise<Outcome<UploadRules>>>;

// Asked once per kind and language (the names come in the request's language), however many file
// choosers a screen shows; a failed answer is asked again next time.
const asked = new Map<string, Promise<Outcome<UploadRules>>>();

function rulesOf(which: keyof typeof RULES): Promise<Outcome<UploadRules>> {
  const key = `${which}.${language.get()}`;
  let answer = asked.get(key);
  if (!answer) {
    answer = RULES[which]();
    asked.set(key, answer);
    void answer.then((outcome) => {
      if (!outcome.ok) asked.delete(key);
    });
  }
  return answer;
}

/** The rules of `which` upload, or null while they load (or when they cannot: the API still checks). */
export function useUploadRules(which: keyof typeof RULES): UploadRules | null {
  return useLoad(() => rulesOf(which)).data;
}

/** The file chooser's `accept`: every allowed type and the extensions its name may carry. */
export function acceptOf(rules: UploadRules | null): string | undefined {
  return rules ? rules.types.flatMap((type) => [type.content_type, ...type.extensions]).join(",") : undefined;
}

/** A size as people read it: "20 MB", "64 kB". */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${formatNumber(Math.round((bytes / (1024 * 1024)) * 10) / 10)} MB`;
  if (bytes >= 1024) return `${formatNumber(Math.ceil(bytes / 1024))} kB`;
  return `${formatNumber(bytes)} B`;
}

/** "Toegestaan: PDF, PNG en Word (.docx), hoogstens 20 MB per bestand." */
export function rulesHint(t: (key: TextKey, params?: Record<string, string>) => string, rules: UploadRules | null): string {
  if (!rules) return "";
  return t("upload.rules", { types: formatList(rules.types.map((type) => type.name)), size: formatSize(rules.max_bytes) });
}
