// The digital certificate (issue 14, ADR 0030): the jobcoach's downloads and the public verification page
// that the PDF's QR code opens (/verifieren?id=...). App.tsx spreads ROUTES into its table; roleMenu.ts
// takes the jobcoach's menu entry from menu().
import type { ComponentType } from "preact";
import { lazyScreen } from "../../components/lazyScreen";

type Access = "public" | "account";

export const ROUTES: Record<string, { screen: ComponentType; access: Access }> = {
  "/verifieren": { screen: lazyScreen(() => import("./Verify").then((m) => m.VerifyScreen)), access: "public" },
  "/certificaat": { screen: lazyScreen(() => import("./MyCredential").then((m) => m.MyCredentialScreen)), access: "account" },
};

export function menu(roles: readonly string[] = []): { href: string; key: "credentials.menu" }[] {
  return roles.includes("jobcoach") ? [{ href: "/certificaat", key: "credentials.menu" }] : [];
}
