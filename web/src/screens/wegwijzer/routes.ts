// The jobcoach's wegwijzer (issue 14, ADR 0026): App.tsx spreads WEGWIJZER_ROUTES into its ROUTES table and
// roleMenu.ts adds the menu's entry. The screen's module is fetched when it is first opened.
import type { ComponentType } from "preact";
import { lazyScreen } from "../../components/lazyScreen";

export const WEGWIJZER_ROUTES: Record<string, { screen: ComponentType; access: "account" }> = {
  "/wegwijzer": { screen: lazyScreen(() => import("./Wegwijzer").then((m) => m.WegwijzerScreen)), access: "account" },
};

/** The menu's entry for a jobcoach. */
export function menu(roles: readonly string[] = []): { href: string; key: "wegwijzer.menu" }[] {
  return roles.includes("jobcoach") ? [{ href: "/wegwijzer", key: "wegwijzer.menu" }] : [];
}
