/** The platform's calendar. Deadlines, "today" and the day something happened are days in Amsterdam, as the
 * services decide them (`RECERT_*_TIME_ZONE`, default Europe/Amsterdam), wherever the browser is and whatever
 * its clock's zone: a jobcoach who submits at half past midnight in Amsterdam submitted that day, not the
 * day before as UTC has it. */
export const PLATFORM_TIME_ZONE = "Europe/Amsterdam";

const DAY_PARTS = new Intl.DateTimeFormat("en-GB", {
  timeZone: PLATFORM_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

/** The ISO date (2026-12-07) an instant falls on in the platform's calendar. */
export function platformDay(instant: Date): string {
  const parts = Object.fromEntries(DAY_PARTS.formatToParts(instant).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** Today in the platform's calendar, as an ISO date. */
export function platformToday(): string {
  return platformDay(new Date());
}
