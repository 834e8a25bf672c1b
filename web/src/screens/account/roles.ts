import type { TextKey } from "../../i18n";

export const STAFF_ROLES = ["assessor", "dnv_officer", "noloc_admin", "mentor", "dnv_support"] as const;
export const ROLES = ["jobcoach", ...STAFF_ROLES] as const;

/** A role's name as people say it; an unknown one (a newer API) as sent. */
export function roleName(t: (key: TextKey) => string, role: string): string {
  return (ROLES as readonly string[]).includes(role) ? t(`role.${role}` as TextKey) : role;
}
