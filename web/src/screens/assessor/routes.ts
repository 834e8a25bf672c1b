// The assessor's routes (issue 13): App.tsx spreads them into its ROUTES table; the menu's entry for the
// role; the start screen of an assessor who is not also a jobcoach. Screens are fetched when first opened.
import type { ComponentType } from "preact";
import { lazyScreen } from "../../components/lazyScreen";

const worklist = lazyScreen(() => import("./Worklist").then((m) => m.Worklist));

export const ROUTES: Record<string, { screen: ComponentType; access: "account" }> = {
  "/beoordelingen": { screen: worklist, access: "account" },
  "/beoordelingen/dossier": { screen: lazyScreen(() => import("./Case").then((m) => m.CaseScreen)), access: "account" },
  "/beoordelingen/formulier": { screen: lazyScreen(() => import("./Form").then((m) => m.FormScreen)), access: "account" },
};

/** "/" for an account that assesses and is not a jobcoach: the work list itself. */
export const START: ComponentType = worklist;

export function startsWithWorklist(roles: readonly string[] = []): boolean {
  return roles.includes("assessor") && !roles.includes("jobcoach");
}

/** The menu's entries for an account with these roles. */
export function menu(roles: readonly string[] = []): { href: string; key: "assessor.menu" }[] {
  return roles.includes("assessor") ? [{ href: "/beoordelingen", key: "assessor.menu" }] : [];
}
