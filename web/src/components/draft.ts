// A text that is saved as one types: every change goes into localStorage at once (the text only, never a
// token), and to the API a moment after the typing pauses. A closed tab, a reload or a failed save loses
// nothing: the local copy is offered again on the next visit and saved then; it is removed once the API has
// the same text. Used by the portfolio's A1-A4 editors (and fit for the supplement's).
import { useEffect, useRef, useState } from "preact/hooks";
import type { Outcome, Shown } from "../api/client";

export type DraftStatus =
  | { kind: "idle" }
  | { kind: "saving" }
  | { kind: "saved"; at: Date }
  | { kind: "retrying" } // network or server trouble: tried again by itself
  | { kind: "refused" }; // the API refused the text (problem shown): tried again on the next change

const PREFIX = "recert.draft.";
const PAUSE = 800; // ms after the last key press
const RETRY = 3000;

function readLocal(key: string): string | null {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    if (raw === null) return null;
    const parsed = JSON.parse(raw) as { text?: unknown };
    return typeof parsed.text === "string" ? parsed.text : null;
  } catch {
    return null;
  }
}

function writeLocal(key: string, text: string): void {
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify({ text, at: new Date().toISOString() }));
  } catch {
    // storage full or refused: the API save still runs
  }
}

function removeLocal(key: string): void {
  try {
    localStorage.removeItem(PREFIX + key);
  } catch {
    // nothing to do
  }
}

/** Whether an unsaved local copy exists for `key` (e.g. to mark a part "not saved yet" in a list). */
export function hasLocalDraft(key: string): boolean {
  return readLocal(key) !== null;
}

export interface Draft {
  text: string;
  status: DraftStatus;
  problem: Shown | null;
  /** The text typed: kept locally at once, saved after a pause. */
  change: (text: string) => void;
  /** Save now (e.g. on leaving the field). */
  flush: () => void;
  /** Whether the text was restored from the local copy (it differed from the saved one). */
  restored: boolean;
}

/** `key`: where the local copy lives (account, cycle and part), null until known; `saved`: the text the
 * API has, null until loaded; `save`: sends a text to the API. */
export function useDraft(
  key: string | null,
  saved: string | null,
  save: (text: string) => Promise<Outcome<unknown>>,
): Draft {
  const [text, setText] = useState("");
  const [status, setStatus] = useState<DraftStatus>({ kind: "idle" });
  const [problem, setProblem] = useState<Shown | null>(null);
  const [restored, setRestored] = useState(false);
  const latest = useRef("");
  const onServer = useRef<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const busy = useRef(false);
  const again = useRef(false);
  const live = useRef(true);
  const saveRef = useRef(save);
  saveRef.current = save;
  const keyRef = useRef(key);
  keyRef.current = key;

  const schedule = (delay: number) => {
    clearTimeout(timer.current);
    timer.current = window.setTimeout(() => void flush(), delay);
  };

  const flush = async () => {
    clearTimeout(timer.current);
    const storageKey = keyRef.current;
    if (storageKey === null || onServer.current === null) return;
    if (busy.current) {
      again.current = true;
      return;
    }
    const sending = latest.current;
    if (sending === onServer.current) {
      removeLocal(storageKey);
      return;
    }
    busy.current = true;
    setStatus({ kind: "saving" });
    const answer = await saveRef.current(sending);
    busy.current = false;
    if (answer.ok) {
      onServer.current = sending;
      if (live.current) setProblem(null);
      if (latest.current === sending) {
        removeLocal(storageKey);
        if (live.current) setStatus({ kind: "saved", at: new Date() });
      } else {
        schedule(PAUSE);
      }
    } else if (answer.problem.status === 0 || answer.problem.status >= 500 || answer.problem.status === 401) {
      if (live.current) {
        setStatus({ kind: "retrying" });
        schedule(RETRY);
      }
    } else if (live.current) {
      setStatus({ kind: "refused" });
      setProblem(answer.problem);
    }
    if (again.current && live.current) {
      again.current = false;
      schedule(0);
    }
  };

  useEffect(() => {
    if (key === null || saved === null) return;
    onServer.current = saved;
    const local = readLocal(key);
    if (local !== null && local !== saved) {
      latest.current = local;
      setText(local);
      setRestored(true);
      schedule(0);
    } else {
      removeLocal(key);
      latest.current = saved;
      setText(saved);
    }
  }, [key, saved]);

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
      clearTimeout(timer.current);
      // Leaving the screen: one last try (the local copy stays until the API has the text).
      if (onServer.current !== null && latest.current !== onServer.current) void saveRef.current(latest.current);
    };
  }, []);

  const change = (value: string) => {
    latest.current = value;
    setText(value);
    if (keyRef.current !== null) writeLocal(keyRef.current, value);
    schedule(PAUSE);
  };

  return { text, status, problem, change, flush: () => void flush(), restored };
}

/** A form kept only in this browser as one types, for forms the API takes once, whole (an advice, an
 * objection): a closed tab or a reload loses nothing; `clear` removes the copy once the API has accepted the
 * form. Only the form's values are stored, never a token; same storage prefix as the drafts above. */
export function useLocalDraft<T>(key: string | null, empty: () => T) {
  const [value, setValue] = useState<T>(empty);
  const [restored, setRestored] = useState(false);
  const [savedAt, setSavedAt] = useState<Date | null>(null);
  const keyRef = useRef(key);
  keyRef.current = key;

  useEffect(() => {
    if (key === null) return;
    const kept = readLocalValue<T>(key);
    if (kept !== null) {
      const base = empty();
      setValue(typeof base === "object" && base !== null ? { ...base, ...kept } : kept);
      setRestored(true);
    }
  }, [key]);

  const change = (next: T) => {
    setValue(next);
    if (keyRef.current === null) return;
    try {
      localStorage.setItem(PREFIX + keyRef.current, JSON.stringify({ value: next, at: new Date().toISOString() }));
      setSavedAt(new Date());
    } catch {
      // storage full or refused: the form still works, it is just not kept
    }
  };

  const clear = () => {
    if (keyRef.current !== null) removeLocal(keyRef.current);
  };

  return { value, change, restored, savedAt, clear };
}

function readLocalValue<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    if (raw === null) return null;
    const parsed = JSON.parse(raw) as { value?: T };
    return parsed.value ?? null;
  } catch {
    return null;
  }
}
