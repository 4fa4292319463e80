/**
 * The session manager and DBSC handler every integration's DBSC test serves: the shared
 * reference sessions, with the short cookie and challenge lifetimes and the excluded path the
 * shared scenarios expect.
 */
import {
  DBSC_CHALLENGE_TTL,
  DBSC_COOKIE_TTL,
  DBSC_EXCLUDED_PATH,
  dbscReferenceSessions,
} from "@tessera/test-kit";
import { createDbsc } from "../src/index.js";

export function dbscReference() {
  const reference = dbscReferenceSessions();
  const dbsc = createDbsc(reference.sessions, {
    cookieTtl: DBSC_COOKIE_TTL,
    challengeTtl: DBSC_CHALLENGE_TTL,
    excludePaths: [DBSC_EXCLUDED_PATH],
  });
  return { reference, sessions: reference.sessions, dbsc };
}
