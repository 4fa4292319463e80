/**
 * The reference app's session-policy settings, kept free of vitest so that built apps
 * (`app-host.ts`) and the reference sessions (`reference.ts`) share them.
 */
import type { SessionsOptions } from "@tessera/core";

/** Live `licence` sessions one user may hold in the reference app; the next login is refused. */
export const LICENCE_LIMIT = 2;
/** Users whose id starts with this may impersonate others in the reference app. */
export const ADMIN_PREFIX = "admin";

/**
 * The reference app's policy classes: `remembered` (a persistent cookie whatever the default)
 * and `licence` (at most `LICENCE_LIMIT` sessions per user, the next login refused).
 */
export const REFERENCE_POLICIES = {
  remembered: { persistent: true, absoluteTimeout: 90 * 24 * 60 * 60 },
  licence: { limit: { perUser: LICENCE_LIMIT, when: "refuse" } },
} as const satisfies NonNullable<SessionsOptions["policies"]>;

/** The reference app's impersonation rule: admins (`ADMIN_PREFIX`) may impersonate. */
export const REFERENCE_IMPERSONATION: NonNullable<SessionsOptions["impersonation"]> = {
  canImpersonate: (userId) => userId.startsWith(ADMIN_PREFIX),
};
