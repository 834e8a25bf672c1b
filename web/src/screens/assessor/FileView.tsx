// A file of the portfolio (PE evidence, a meeting's proof) viewed safely: fetched with the token into a Blob,
// an image shown as <img src="blob:…"> (an image runs no script), anything else (a PDF, an e-mail, text)
// saved as a download. Never a frame of our origin that would run the file's script.
import { useEffect, useState } from "preact/hooks";
import type { Shown } from "../../api/client";
import { ProblemBox } from "../../components/forms";
import { useT } from "../../i18n";
import { saveBlob } from "../../components/files";
import { formatSize } from "../../components/uploadRules";
import { type FileSource, fetchFile, showsInline } from "./data";

export function FileView({ source, filename, contentType, bytes }: {
  source: FileSource;
  filename: string;
  contentType?: string | undefined;
  bytes?: number | undefined;
}) {
  const t = useT();
  const [url, setUrl] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Shown | null>(null);
  const inline = showsInline(contentType);

  useEffect(() => () => {
    if (url) URL.revokeObjectURL(url);
  }, [url]);

  const open = async () => {
    if (busy) return;
    setBusy(true);
    const answer = await fetchFile(source);
    setBusy(false);
    if (!answer.ok) return setProblem(answer.problem);
    setProblem(null);
    if (inline && showsInline(answer.data.type || contentType)) setUrl(URL.createObjectURL(answer.data));
    else saveBlob(answer.data, filename);
  };

  const about = [contentType === "application/pdf" ? "PDF" : "", bytes ? formatSize(bytes) : ""].filter(Boolean).join(", ");
  return (
    <div class="as-file">
      <p>
        <span class="as-filename">{filename}</span>
        {about && <span class="small"> ({about})</span>}{" "}
        {!url && (
          <button type="button" class="button" aria-disabled={busy ? "true" : undefined} onClick={() => void open()}>
            {busy ? t("app.loading") : inline ? t("assessor.file.show", { file: filename }) : t("assessor.file.download", { file: filename })}
          </button>
        )}
        {url && (
          <button type="button" class="link-button" onClick={() => setUrl(null)}>
            {t("assessor.file.hide", { file: filename })}
          </button>
        )}
      </p>
      <ProblemBox problem={problem} />
      {url && <img class="as-evidence" src={url} alt={t("assessor.file.image", { file: filename })} />}
    </div>
  );
}
