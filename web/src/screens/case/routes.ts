// The jobcoach's screens after submitting (issue 13): her application's progress, the supplement, the
// decision and objection, the invoices and the inbox. App.tsx spreads CASE_ROUTES into its ROUTES table;
// each screen's module is fetched when it is first opened. The menu's entries are menu.tsx's CaseMenu.
import type { ComponentType } from "preact";
import { lazyScreen } from "../../components/lazyScreen";

export const CASE_ROUTES: Record<string, { screen: ComponentType; access: "account" }> = {
  "/aanvraag": { screen: lazyScreen(() => import("./Case").then((m) => m.CaseScreen)), access: "account" },
  "/aanvraag/aanvulling": { screen: lazyScreen(() => import("./Supplement").then((m) => m.SupplementScreen)), access: "account" },
  "/facturen": { screen: lazyScreen(() => import("./Invoices").then((m) => m.InvoicesScreen)), access: "account" },
  "/berichten": { screen: lazyScreen(() => import("./Inbox").then((m) => m.InboxScreen)), access: "account" },
  "/berichten/bericht": { screen: lazyScreen(() => import("./Inbox").then((m) => m.MessageScreen)), access: "account" },
};
