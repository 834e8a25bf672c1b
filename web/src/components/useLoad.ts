// What a screen loads from the API: the answer or its problem, loaded again on `reload()`, when `deps`
// change, and when the language changes (the API's texts come in the request's language).
import { useEffect, useState } from "preact/hooks";
import type { Shown } from "../api/client";
import { language } from "../i18n";
import { useStore } from "../store";

/** An answer as `outcome()` gives it, or as a screen combines several. */
type Loaded<T> = { ok: true; data: T } | { ok: false; problem: Shown };

export function useLoad<T>(run: () => Promise<Loaded<T>>, deps: unknown[] = []) {
  const lang = useStore(language);
  const [data, setData] = useState<T | null>(null);
  const [problem, setProblem] = useState<Shown | null>(null);
  const [loads, setLoads] = useState(0);
  useEffect(() => {
    let live = true;
    void run().then((answer) => {
      if (!live) return;
      if (answer.ok) {
        setData(answer.data);
        setProblem(null);
      } else setProblem(answer.problem);
    });
    return () => {
      live = false;
    };
  }, [lang, loads, ...deps]);
  return { data, problem, reload: () => setLoads((n) => n + 1), setData };
}
