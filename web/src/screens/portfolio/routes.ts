// The portfolio's routes (issue 13, jobcoach): App.tsx spreads them into its ROUTES table. The screens are
// fetched only when first opened (import()): the first screen stays within its budget.
import type { ComponentType } from "preact";
import { lazyScreen } from "../../components/lazyScreen";

const load = (name: "Overview" | "Editor" | "Meetings" | "Confirm") =>
  lazyScreen(() => import("./screens").then((module) => module[name] as ComponentType));

const editor = load("Editor");

export const PORTFOLIO_ROUTES: Record<string, { screen: ComponentType; access: "account" }> = {
  "/portfolio": { screen: load("Overview"), access: "account" },
  "/portfolio/a1": { screen: editor, access: "account" },
  "/portfolio/a2": { screen: editor, access: "account" },
  "/portfolio/a3": { screen: editor, access: "account" },
  "/portfolio/a4": { screen: editor, access: "account" },
  "/portfolio/bijeenkomsten": { screen: load("Meetings"), access: "account" },
  "/portfolio/indienen": { screen: load("Confirm"), access: "account" },
};
