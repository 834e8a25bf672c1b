import { platformDay } from "../calendar";
import { Store, useStore } from "../store";
import { en, nl, type TextKey } from "./catalogue";

export type Language = "nl" | "en";
export type { TextKey };

const CATALOGUES: Record<Language, Record<TextKey, string>> = { nl, en };
const LOCALES: Record<Language, string> = { nl: "nl-NL", en: "en-GB" };
// Only the choice of a visitor who is not logged in is remembered in the browser; a logged-in account's
// preferred language (GET /api/v1/accounts/me) wins over it.
const REMEMBERED = "recert.language";

function initialLanguage(): Language {
  try {
    const remembered = localStorage.getItem(REMEMBERED);
    if (remembered === "nl" || remembered === "en") return remembered;
  } catch {
    // storage refused (private mode): Dutch
  }
  return "nl";
}

export const language = new Store<Language>(initialLanguage());

language.subscribe((lang) => {
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(REMEMBERED, lang);
  } catch {
    // not remembered: fine
  }
});
document.documentElement.lang = language.get();

export type Params = Record<string, string | number>;

/** The text of `key` in `lang`, with each `{name}` replaced by its parameter. */
export function translate(lang: Language, key: TextKey, params: Params = {}): string {
  return CATALOGUES[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function t(key: TextKey, params?: Params): string {
  return translate(language.get(), key, params);
}

/** Re-renders the component when the language changes; returns `t` for it. */
export function useT(): (key: TextKey, params?: Params) => string {
  const lang = useStore(language);
  return (key, params) => translate(lang, key, params);
}

export function locale(lang: Language = language.get()): string {
  return LOCALES[lang];
}

/** An ISO date (2031-02-02) as "2 februari 2031" / "2 February 2031"; an instant (2026-12-06T23:30:00Z) as
 * the day it falls on in the platform's calendar (7 december 2026, in Amsterdam). */
export function formatDate(iso: string, lang: Language = language.get()): string {
  const instant = iso.length > 10 ? new Date(iso) : null;
  const day = instant && !Number.isNaN(instant.getTime()) ? platformDay(instant) : iso.slice(0, 10);
  const [year, month, date] = day.split("-").map(Number);
  if (!year || !month || !date) return iso;
  return new Intl.DateTimeFormat(LOCALES[lang], {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(year, month - 1, date)));
}

/** The API's money ("242.00", "EUR") as "€ 242,00" / "€242.00". The amount is a decimal string: it is
 * formatted from its digits, never through a float's rounding. */
export function formatMoney(amount: string, currency = "EUR", lang: Language = language.get()): string {
  const format = new Intl.NumberFormat(LOCALES[lang], { style: "currency", currency });
  // Intl accepts decimal strings exactly (ES2023 Intl.NumberFormat v3); the cast keeps TS's older typings.
  return format.format(amount as unknown as number);
}

/** A list as a sentence says it: "PDF, PNG en Word" / "PDF, PNG and Word". */
export function formatList(items: string[], lang: Language = language.get()): string {
  return new Intl.ListFormat(LOCALES[lang], { style: "long", type: "conjunction" }).format(items);
}

export function formatNumber(value: number | string, lang: Language = language.get()): string {
  return new Intl.NumberFormat(LOCALES[lang]).format(value as unknown as number);
}
