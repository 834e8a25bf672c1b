// The PE points of an amount, live as the jobcoach types: the same rule as the API's (recert_common's
// rules/pe.py with the framework's units from GET /api/v1/pe/categories): points = amount x the unit's
// points_per_unit; the amount must be greater than 0, at most the unit's max_per_activity, with at most two
// decimals (pe-registry's AMOUNT_PLACES). Decimal arithmetic on strings (BigInt), never a float's rounding.
// The API's answer stays the authority: after saving, the activity's `points` are shown.

export interface UnitRule {
  unit: string;
  name: string;
  points_per_unit: string;
  max_per_activity: string;
}

export type Live =
  | { kind: "empty" }
  | { kind: "invalid" }
  | { kind: "too_large"; maximum: string }
  | { kind: "points"; points: string; amount: string };

const PLACES = 2;
const AMOUNT = /^\d+(?:[.,]\d{1,2})?$/;

/** "1,5" or "1.5" as the decimal string "1.5"; null when it is not a plain number with <= 2 decimals. */
export function normaliseAmount(typed: string): string | null {
  const value = typed.trim().replace(/\s/g, "");
  if (!AMOUNT.test(value)) return null;
  return value.replace(",", ".");
}

/** A decimal string as a BigInt scaled by 10^scale (the string has at most `scale` decimals). */
function scaled(value: string, scale: number): bigint {
  const [whole = "0", fraction = ""] = value.split(".");
  return BigInt(whole + fraction.padEnd(scale, "0").slice(0, scale));
}

function unscaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
  return (negative ? "-" : "") + whole + (fraction ? `.${fraction}` : "");
}

function places(value: string): number {
  return value.includes(".") ? value.split(".")[1]!.length : 0;
}

export function livePoints(typed: string, rule: UnitRule | undefined): Live {
  if (!typed.trim()) return { kind: "empty" };
  const amount = normaliseAmount(typed);
  if (amount === null || !rule) return { kind: "invalid" };
  const a = scaled(amount, PLACES);
  if (a <= 0n) return { kind: "invalid" };
  if (a > scaled(rule.max_per_activity, PLACES)) return { kind: "too_large", maximum: rule.max_per_activity };
  const ppuPlaces = places(rule.points_per_unit);
  const product = a * scaled(rule.points_per_unit, ppuPlaces);
  return { kind: "points", points: unscaled(product, PLACES + ppuPlaces), amount };
}
