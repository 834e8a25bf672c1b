// What the activity form (/pe/nieuw, /pe/activiteit) and the reading's proposal form (/pe/lezen/voorstel)
// share: the values as typed, the fields a refusal may name, and how typed values become the API's body.
import type { Schemas } from "../../api/client";
import { language } from "../../i18n";
import { normaliseAmount } from "./points";

type Unit = Schemas["ActivityCreate"]["unit"];

export interface ActivityDraft {
  title: string;
  provider: string;
  completed_on: string;
  category: string;
  amount: string;
  unit: string;
  description: string;
}

export const ACTIVITY_FIELDS = ["title", "provider", "completed_on", "category", "amount", "unit", "description"];

/** The API's "1.50" as the jobcoach would type it: "1,5" in Dutch, "1.5" in English. */
export function typedAmount(amount: string): string {
  const plain = amount.includes(".") ? amount.replace(/0+$/, "").replace(/\.$/, "") : amount;
  return language.get() === "nl" ? plain.replace(".", ",") : plain;
}

/** The body of a new or changed activity. What is not a number goes as typed, so that the API's refusal
 * names the field ("" for a category not chosen); a typed "1,5" goes as 1.5. */
export function activityBody(draft: ActivityDraft) {
  const amount = normaliseAmount(draft.amount);
  return {
    title: draft.title.trim(),
    provider: draft.provider.trim(),
    completed_on: draft.completed_on,
    category: draft.category ? Number(draft.category) : (draft.category as unknown as number),
    amount: amount === null ? (draft.amount as unknown as number) : Number(amount),
    unit: draft.unit as Unit,
    description: draft.description.trim() || null,
  };
}
