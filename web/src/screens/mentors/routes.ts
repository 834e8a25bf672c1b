// The mentors' routes (issue 14, ADR 0028): the jobcoach's /mentoren (the list, inviting with consent, her
// mentors and ending their access) and the mentor's own screens (her jobcoaches, a jobcoach's portfolio
// read-only with a comment form per part, her profile). App.tsx spreads ROUTES into its table; roleMenu.ts
// shows `menu(roles)`. Every screen's module is fetched when first opened.
import type { ComponentType } from "preact";
import { lazyScreen } from "../../components/lazyScreen";

type Name = "MentorsScreen" | "JobcoachesScreen" | "ReadScreen" | "ProfileScreen";

const load = (name: Name) => lazyScreen(() => import("./screens").then((module) => module[name] as ComponentType));

export const ROUTES: Record<string, { screen: ComponentType; access: "account" }> = {
  "/mentoren": { screen: load("MentorsScreen"), access: "account" },
  "/mentor": { screen: load("JobcoachesScreen"), access: "account" },
  "/mentor/jobcoach": { screen: load("ReadScreen"), access: "account" },
  "/mentor/profiel": { screen: load("ProfileScreen"), access: "account" },
};

type MenuKey = "mentors.menu" | "mentors.menu.jobcoaches" | "mentors.menu.profile";

/** The menu's entries: the mentor list for a jobcoach; her jobcoaches and her profile for a mentor. */
export function menu(roles: readonly string[] = []): { href: string; key: MenuKey }[] {
  const entries: { href: string; key: MenuKey }[] = [];
  if (roles.includes("jobcoach")) entries.push({ href: "/mentoren", key: "mentors.menu" });
  if (roles.includes("mentor")) {
    entries.push({ href: "/mentor", key: "mentors.menu.jobcoaches" }, { href: "/mentor/profiel", key: "mentors.menu.profile" });
  }
  return entries;
}
