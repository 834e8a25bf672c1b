// The service desk's screens (issue 14, ADR 0029), spread into App.tsx's ROUTES. /hulp is the help button's
// target (Layout.tsx) on every page; /hulp/bevestigen and /hulp/gesprek are the paths of the links in
// notifications' desk e-mails (desk_confirm, desk_request_answered), /hulp/verzoek and /ondersteuning/verzoek
// those of the portal links in them. Each screen's module is fetched when it is first opened.
import type { ComponentType } from "preact";
import { lazyScreen } from "../../components/lazyScreen";

type Name = "Help" | "NewRequest" | "MyRequest" | "AskLoggedOut" | "Confirm" | "LinkThread" | "Queue" | "SupportRequest";

const load = (name: Name) => lazyScreen(() => import("./screens").then((module) => module[name] as ComponentType));

export const ROUTES: Record<string, { screen: ComponentType; access: "public" | "account" }> = {
  "/hulp": { screen: load("Help"), access: "public" },
  "/hulp/nieuw": { screen: load("NewRequest"), access: "account" },
  "/hulp/verzoek": { screen: load("MyRequest"), access: "account" },
  "/hulp/zonder-inloggen": { screen: load("AskLoggedOut"), access: "public" },
  "/hulp/bevestigen": { screen: load("Confirm"), access: "public" },
  "/hulp/gesprek": { screen: load("LinkThread"), access: "public" },
  "/ondersteuning": { screen: load("Queue"), access: "account" },
  "/ondersteuning/verzoek": { screen: load("SupportRequest"), access: "account" },
};

/** The menu's entries for an account with these roles: the queue for DNV's support staff. */
export function menu(roles: readonly string[] = []): { href: string; key: "desk.menu.queue" }[] {
  return roles.includes("dnv_support") ? [{ href: "/ondersteuning", key: "desk.menu.queue" }] : [];
}
