// The entries of the staff roles' own screens, in the menu's order: the menu shows them (Layout.tsx) and so
// does the start screen of a staff account without a start screen of its own (Home.tsx), e.g. Noloc's admin.
import type { TextKey } from "../i18n";
import { menu as assessorMenu } from "./assessor/routes";
import { menu as dnvMenu } from "./dnv/routes";
import { menu as wegwijzerMenu } from "./wegwijzer/routes";
import { menu as mentorsMenu } from "./mentors/routes";
// The service desk (issue 14): DNV's support staff's queue.
import { menu as deskMenu } from "./desk/routes";
import { menu as credentialsMenu } from "./credentials/routes";

export interface MenuEntry {
  href: string;
  key: TextKey;
}

/** The role screens' entries before the register lookup (assessor, DNV and Noloc screens; the jobcoach's
 * wegwijzer and mentors, a mentor's screens: issue 14). */
export function roleMenu(roles: readonly string[] = []): MenuEntry[] {
  return [
    ...assessorMenu(roles),
    ...dnvMenu(roles),
    ...wegwijzerMenu(roles),
    ...mentorsMenu(roles),
    ...deskMenu(roles),
    ...credentialsMenu(roles),
  ];
}
