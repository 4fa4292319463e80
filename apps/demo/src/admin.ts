/**
 * `npm run demo:admin -- <username>`: makes an existing account the demo's admin, in the same
 * database the demo uses (same `STORE`, `DATA_DIR`, `DATABASE_URL`). With the embedded PGlite
 * store, run it while the demo is stopped (PGlite opens its folder from one process at a time).
 */
import { createAccounts } from "./accounts.js";
import { readConfig } from "./config.js";
import { openStore } from "./stores.js";

const username = process.argv[2]?.trim();
if (!username) {
  console.error("usage: npm run demo:admin -- <username>");
  process.exit(2);
}
const config = readConfig(process.env);
const opened = await openStore(config);
try {
  // No password is hashed here: the gate is never used.
  const accounts = createAccounts(opened.database, (task) => task());
  if (await accounts.promote(username)) {
    console.log(`${username} is now the admin of the Tessera demo (${opened.name})`);
  } else {
    console.error(`no account named ${username}: sign up first, then run this again`);
    process.exitCode = 1;
  }
} finally {
  await opened.close();
}
