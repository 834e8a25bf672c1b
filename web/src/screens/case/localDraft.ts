// A text kept on this device as one types, for a form that goes to the API once (an objection): a closed
// tab or a reload loses nothing; the copy is removed once the API has accepted the form. The same local
// store as components/draft.ts (the text only, never a token), which saves its texts to the API as well.
import { useState } from "preact/hooks";

const PREFIX = "recert.draft.";

function read(key: string): string {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    const parsed = raw ? (JSON.parse(raw) as { text?: unknown }) : null;
    return typeof parsed?.text === "string" ? parsed.text : "";
  } catch {
    return "";
  }
}

export function useLocalDraft(key: string): { text: string; restored: boolean; change: (text: string) => void; clear: () => void } {
  const [initial] = useState(() => read(key));
  const [text, setText] = useState(initial);
  const change = (value: string) => {
    setText(value);
    try {
      if (value) localStorage.setItem(PREFIX + key, JSON.stringify({ text: value, at: new Date().toISOString() }));
      else localStorage.removeItem(PREFIX + key);
    } catch {
      // storage refused: the text stays on the screen
    }
  };
  const clear = () => {
    try {
      localStorage.removeItem(PREFIX + key);
    } catch {
      // nothing to remove
    }
  };
  return { text, restored: initial !== "", change, clear };
}
