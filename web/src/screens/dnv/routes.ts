// The DNV officer's screens (issue 13): the overview, the cases, a case with its PE check, assigning an
// assessor and the decision; the certificate CSV import (DNV officers and Noloc admins, as the API allows)
// and the e-mails that failed to send (both see them; Noloc admins send one again, as the API allows). App.tsx spreads ROUTES into its
// table; Layout.tsx shows `menu(roles)`; "/" shows a DNV officer the overview (START). Every screen's
// module is fetched when first opened.
import type { ComponentType } from "preact";
import { lazyScreen } from "../../components/lazyScreen";

type Name = "Overview" | "Cases" | "Case" | "PeCheck" | "Assign" | "Decide" | "Import" | "FailedMessages";

const load = (name: Name) => lazyScreen(() => import("./screens").then((module) => module[name] as ComponentType));
const overview = load("Overview");

export const ROUTES: Record<string, { screen: ComponentType; access: "account" }> = {
  "/dnv": { screen: overview, access: "account" },
  "/dnv/zaken": { screen: load("Cases"), access: "account" },
  "/dnv/zaak": { screen: load("Case"), access: "account" },
  "/dnv/zaak/pe-toets": { screen: load("PeCheck"), access: "account" },
  "/dnv/zaak/beoordelaar": { screen: load("Assign"), access: "account" },
  "/dnv/zaak/besluit": { screen: load("Decide"), access: "account" },
  "/certificaten-importeren": { screen: load("Import"), access: "account" },
  "/mislukte-berichten": { screen: load("FailedMessages"), access: "account" },
};

/** "/" for a DNV officer who is neither jobcoach nor assessor: the overview itself. */
export const START: ComponentType = overview;

export function startsWithOverview(roles: readonly string[] = []): boolean {
  return roles.includes("dnv_officer") && !roles.includes("jobcoach") && !roles.includes("assessor");
}

type MenuKey = "dnv.menu.overview" | "dnv.menu.cases" | "dnv.menu.import" | "dnv.menu.failed";

/** The menu's entries for an account with these roles: the case screens for DNV officers; the import for
 * DNV officers and Noloc admins; the failed e-mails for both (sending one again is Noloc's). */
export function menu(roles: readonly string[] = []): { href: string; key: MenuKey }[] {
  const entries: { href: string; key: MenuKey }[] = [];
  const dnv = roles.includes("dnv_officer");
  const admin = roles.includes("noloc_admin");
  if (dnv) entries.push({ href: "/dnv", key: "dnv.menu.overview" }, { href: "/dnv/zaken", key: "dnv.menu.cases" });
  if (dnv || admin) entries.push({ href: "/certificaten-importeren", key: "dnv.menu.import" });
  if (dnv || admin) entries.push({ href: "/mislukte-berichten", key: "dnv.menu.failed" });
  return entries;
}
