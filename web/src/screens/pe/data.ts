// What the PE screens load: the framework's categories and units (GET /api/v1/pe/categories, once per
// language), and a message to show on the next screen (after removing an activity).
import { useEffect, useState } from "preact/hooks";
import { api, type Outcome, type Schemas } from "../../api/client";
import { authorized } from "../../auth";
import { formatNumber, language, useT } from "../../i18n";
import { usePlace } from "../../router";
import { Store } from "../../store";

export type Categories = Schemas["Categories"];
export type Activity = Schemas["Activity"];
export type Summary = Schemas["Summary"];

const cached = new Map<string, Categories>();

export async function loadCategories(): Promise<Outcome<Categories>> {
  const lang = language.get();
  const known = cached.get(lang);
  if (known) return { ok: true, data: known, response: new Response() };
  const answer = await authorized(() => api.GET("/api/v1/pe/categories"));
  if (answer.ok) cached.set(lang, answer.data);
  return answer;
}

/** A message for a screen (`to`, its path), shown there as role=status: "the activity was removed". */
export const flash = new Store<{ to: string; text: string } | null>(null);

/** The message for this screen: set before it opened, or while it is open; taken once. */
export function useFlash(): string | null {
  const { path } = usePlace();
  const initial = flash.get();
  const [message, setMessage] = useState(initial?.to === path ? initial.text : null);
  useEffect(() => {
    if (flash.get()?.to === path) flash.set(null);
    return flash.subscribe((next) => {
      if (next?.to !== path) return;
      setMessage(next.text);
      flash.set(null);
    });
  }, []);
  return message;
}

export { useLoad } from "../../components/useLoad";

/** PE points as the portal writes them: "1,5" / "1.5". */
export function points(value: string | undefined): string {
  return formatNumber(value ?? "0");
}

export function useUnitName() {
  const t = useT();
  return (categories: Categories | null, unit: string | undefined) =>
    categories?.units?.find((u) => u.unit === unit)?.name ?? unit ?? t("pe.nav");
}

export function combine<A, B>(a: Outcome<A>, b: Outcome<B>): Outcome<[A, B]> {
  if (!a.ok) return a;
  if (!b.ok) return b;
  return { ok: true, data: [a.data, b.data], response: b.response };
}
