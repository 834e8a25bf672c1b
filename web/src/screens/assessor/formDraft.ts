// The assessment form's draft, kept in this browser as one types (the API has no draft of an advice: the
// form is sent once, whole). A closed tab or a reload loses nothing; the copy is removed once the advice is
// sent. Only the form's texts and choices are stored, never a token. Same storage prefix as draft.ts.
import { useEffect, useRef, useState } from "preact/hooks";

const PREFIX = "recert.draft.";

function read<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    if (raw === null) return null;
    const parsed = JSON.parse(raw) as { value?: T };
    return parsed.value ?? null;
  } catch {
    return null;
  }
}

export function useFormDraft<T>(key: string | null, empty: () => T) {
  const [value, setValue] = useState<T>(empty);
  const [restored, setRestored] = useState(false);
  const [savedAt, setSavedAt] = useState<Date | null>(null);
  const keyRef = useRef(key);
  keyRef.current = key;

  useEffect(() => {
    if (key === null) return;
    const kept = read<T>(key);
    if (kept !== null) {
      setValue({ ...empty(), ...kept });
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
    if (keyRef.current === null) return;
    try {
      localStorage.removeItem(PREFIX + keyRef.current);
    } catch {
      // nothing to do
    }
  };

  return { value, change, restored, savedAt, clear };
}
