import { useRef, useState } from "preact/hooks";
import { api, type Shown } from "../../api/client";
import { authorized } from "../../auth";
import { saveBlob } from "../../components/files";
import { ProblemBox } from "../../components/forms";
import { type TextKey, useT } from "../../i18n";
import { acceptOf, formatSize, rulesHint, useUploadRules } from "../../components/uploadRules";
import type { Activity } from "./data";
import { type EvidenceKind, uploadEvidence } from "./upload";

const KINDS: NonNullable<EvidenceKind>[] = ["certificate", "confirmation_email", "screenshot", "invoice", "report", "planning_tool", "other"];

/** The evidence of one activity: the files added, and a drop zone with a file chooser and the camera. */
export function Evidence({ activity, changed }: { activity: Activity; changed: () => void }) {
  const t = useT();
  const [kind, setKind] = useState<NonNullable<EvidenceKind>>("certificate");
  const [progress, setProgress] = useState<{ name: string; fraction: number } | null>(null);
  const [problem, setProblem] = useState<Shown | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const chooser = useRef<HTMLInputElement>(null);
  const camera = useRef<HTMLInputElement>(null);
  const files = activity.evidence ?? [];
  const rules = useUploadRules("evidence");

  const upload = (file: File | undefined) => {
    if (!file) return;
    if (progress) {
      setStatus(t("pe.upload.busy"));
      return;
    }
    setProblem(null);
    if (rules && file.size > rules.max_bytes) {
      setStatus(t("pe.upload.too_large", { name: file.name, size: formatSize(rules.max_bytes) }));
      return;
    }
    setStatus(null);
    setProgress({ name: file.name, fraction: 0 });
    void uploadEvidence(activity.id ?? "", file, kind, (fraction) => setProgress({ name: file.name, fraction })).then((answer) => {
      setProgress(null);
      if (chooser.current) chooser.current.value = "";
      if (camera.current) camera.current.value = "";
      if (!answer.ok) {
        setProblem(answer.problem);
        return;
      }
      const name = answer.evidence.filename ?? file.name;
      setStatus(t(answer.status === 200 ? "pe.upload.duplicate" : "pe.upload.done", { name }));
      changed();
    });
  };

  // The file is fetched with the access token (a plain link carries none) and handed to the browser as a
  // download: nothing of it runs in the portal's page.
  const open = (id: string, name: string) => {
    void authorized(() =>
      api.GET("/api/v1/pe/evidence/{evidence_id}/content", { params: { path: { evidence_id: id } }, parseAs: "blob" }),
    ).then((answer) => {
      if (!answer.ok) {
        setProblem(answer.problem);
        return;
      }
      saveBlob(answer.data as unknown as Blob, name);
    });
  };

  const remove = (id: string, name: string) => {
    void authorized(() => api.DELETE("/api/v1/pe/evidence/{evidence_id}", { params: { path: { evidence_id: id } } })).then((answer) => {
      if (!answer.ok) {
        setProblem(answer.problem);
        return;
      }
      setStatus(t("pe.upload.removed", { name }));
      changed();
    });
  };

  return (
    <section class="pe-evidence" aria-labelledby="pe-evidence-title">
      <h2 id="pe-evidence-title">{t("pe.upload.title")}</h2>
      <p>{t("pe.upload.intro")}</p>
      {files.length === 0 ? (
        <p>
          <strong class="pe-badge pe-badge-missing" data-field="evidence">
            {t("pe.evidence.missing")}
          </strong>{" "}
          {t("pe.upload.none")}
        </p>
      ) : (
        <ul class="pe-files" aria-label={t("pe.upload.list")}>
          {files.map((file) => (
            <li key={file.id}>
              <span class="pe-file-name">{file.filename}</span>{" "}
              <span class="small">
                ({t(`pe.upload.kind.${file.kind ?? "other"}` as TextKey)}, {formatSize(file.size ?? 0)})
              </span>{" "}
              <button type="button" class="link-button" aria-label={t("pe.upload.open", { name: file.filename ?? "" })} onClick={() => open(file.id ?? "", file.filename ?? "")}>
                {t("pe.upload.download")}
              </button>{" "}
              <button type="button" class="link-button" aria-label={t("pe.upload.remove.label", { name: file.filename ?? "" })} onClick={() => remove(file.id ?? "", file.filename ?? "")}>
                {t("pe.upload.remove")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ProblemBox problem={problem} />
      <div class="field">
        <label for="pe-evidence-kind">{t("pe.upload.kind")}</label>
        <select id="pe-evidence-kind" onChange={(event) => setKind(event.currentTarget.value as NonNullable<EvidenceKind>)}>
          {KINDS.map((k) => (
            <option key={k} value={k} selected={k === kind}>
              {t(`pe.upload.kind.${k}` as TextKey)}
            </option>
          ))}
        </select>
      </div>
      <div
        class={over ? "pe-drop pe-drop-over" : "pe-drop"}
        data-dropzone
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(event) => {
          event.preventDefault();
          setOver(false);
          upload(event.dataTransfer?.files[0]);
        }}
      >
        <p class="pe-drop-text" aria-hidden="true">
          {t("pe.upload.drop")} {t("pe.upload.or")}
        </p>
        <p class="pe-pickers">
          <label class="button primary pe-picker">
            {t("pe.upload.choose")}
            <input ref={chooser} type="file" class="pe-file-input" accept={acceptOf(rules)} aria-describedby="pe-upload-types" onChange={(event) => upload(event.currentTarget.files?.[0])} />
          </label>
          <label class="button pe-picker">
            {t("pe.upload.camera")}
            <input ref={camera} type="file" class="pe-file-input" accept="image/*" capture="environment" aria-describedby="pe-upload-types" onChange={(event) => upload(event.currentTarget.files?.[0])} />
          </label>
        </p>
        <p id="pe-upload-types" class="hint">
          {rulesHint(t, rules)}
        </p>
      </div>
      {progress && (
        <div class="pe-progress">
          <label for="pe-upload-progress">{t("pe.upload.progress", { name: progress.name })}</label>
          <progress id="pe-upload-progress" max={100} value={Math.round(progress.fraction * 100)}>
            {Math.round(progress.fraction * 100)}%
          </progress>
        </div>
      )}
      <p role="status" class="pe-upload-status">
        {status ?? ""}
      </p>
    </section>
  );
}
