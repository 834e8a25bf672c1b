// The account screens' routes (Dutch paths), spread into App.tsx's ROUTES. Each screen's module is fetched
// when it is opened. /nieuw-wachtwoord is the path of the link in notifications' password_reset_link e-mail.
import type { ComponentType } from "preact";
import { lazyScreen } from "../../components/lazyScreen";

type Access = "public" | "account" | "guest";

export const ROUTES: Record<string, { screen: ComponentType; access: Access }> = {
  "/wachtwoord-vergeten": { screen: lazyScreen(() => import("./Password").then((m) => m.ForgotPassword)), access: "guest" },
  "/nieuw-wachtwoord": { screen: lazyScreen(() => import("./Password").then((m) => m.NewPassword)), access: "public" },
  "/wachtwoord-wijzigen": { screen: lazyScreen(() => import("./Password").then((m) => m.ChangePassword)), access: "account" },
  "/mijn-account": { screen: lazyScreen(() => import("./MyAccount").then((m) => m.MyAccount)), access: "account" },
  "/beheer/medewerkers": { screen: lazyScreen(() => import("./StaffAccounts").then((m) => m.default)), access: "account" },
};

/** The menu's entries for an account with these roles. */
export function menu(roles: readonly string[] = []): { href: string; key: "account.menu" | "account.menu.staff" }[] {
  const entries: { href: string; key: "account.menu" | "account.menu.staff" }[] = [];
  if (roles.includes("noloc_admin")) entries.push({ href: "/beheer/medewerkers", key: "account.menu.staff" });
  entries.push({ href: "/mijn-account", key: "account.menu" });
  return entries;
}
