/**
 * The reference app's state and test levers (`@tessera/test-kit/app-host`), with the Tessera
 * handle mounted on each configuration. TEST-ONLY: the levers answer 404 unless the server runs
 * with TESSERA_REFERENCE_TEST_HOOKS=1.
 */
import { createDbsc } from "@tessera/dbsc";
import { tessera } from "@tessera/react-router";
import {
  DBSC_CHALLENGE_TTL,
  DBSC_COOKIE_TTL,
  DBSC_EXCLUDED_PATH,
  referenceHost,
} from "@tessera/test-kit/app-host";

export const reference = referenceHost({
  mount: (sessions, options) => tessera(sessions, options),
  dbsc: (sessions) =>
    createDbsc(sessions, {
      cookieTtl: DBSC_COOKIE_TTL,
      challengeTtl: DBSC_CHALLENGE_TTL,
      excludePaths: [DBSC_EXCLUDED_PATH],
    }),
});
