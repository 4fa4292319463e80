/**
 * Device-bound sessions (DBSC) over real HTTP: the flows and the attacks every integration must
 * answer alike, driven by the draft-conformant user agent of dbsc-client.ts. A framework's test
 * mounts the DBSC reference routes (`DBSC_ROUTES`) with `dbsc` on and hands a `StartDbscApp`.
 */
import { createSessions, MemoryStore, type SessionEvent, type Sessions } from "@tessera/core";
import { uniqueUser } from "@tessera/store-test/doubles";
import { expect } from "vitest";
import { DBSC_CHALLENGE_TTL, DBSC_COOKIE_TTL, DBSC_EXCLUDED_PATH } from "./app-host.js";
import { DbscBrowser, makeSessionKey, signProof } from "./dbsc-client.js";
import { Client } from "./http.js";

export { DBSC_CHALLENGE_TTL, DBSC_COOKIE_TTL, DBSC_EXCLUDED_PATH };
/** The routes the gate serves. */
export const DBSC_PATHS = {
  registration: "/tessera/dbsc/register",
  refresh: "/tessera/dbsc/refresh",
} as const;

/**
 * The DBSC reference app's own routes (the gate serves the two DBSC routes besides):
 * - `POST /login` body `{ user }`: `login(user)`; `{ user }`
 * - `GET /me` (requireSession): `{ user, id, deviceBound }`
 * - `GET /devices` (requireSession): `{ devices: [{ id, deviceBound, current }] }` from `list()`
 * - `POST /logout`: `{ ended }`
 */
export const DBSC_ROUTES = ["POST /login", "GET /me", "GET /devices", "POST /logout"] as const;

/** A running DBSC reference app. */
export interface DbscApp {
  url: string;
  /** A browser with DBSC (registers and refreshes by itself). */
  browser(): DbscBrowser;
  /** A client without DBSC (ignores the registration header). */
  client(): Client;
  /** Moves the sessions' clock forward (over HTTP for a built server: await it). */
  advanceClock(seconds: number): void | Promise<void>;
  /** Every event the sessions emitted so far. */
  events(): SessionEvent[] | Promise<SessionEvent[]>;
  /** What the scenarios do to the sessions besides HTTP: revoke one, or all of a user's. */
  sessions: Pick<Sessions, "revoke" | "revokeAll">;
}

/** Starts one DBSC reference app. */
export type StartDbscApp = () => Promise<DbscApp>;

/** Sessions for a DBSC reference app: memory store, plain-HTTP cookies, a clock the test moves. */
export function dbscReferenceSessions() {
  const clock = { now: Date.now() };
  const events: SessionEvent[] = [];
  const sessions = createSessions({
    store: new MemoryStore({ now: () => clock.now }),
    cookie: { secure: false },
    now: () => clock.now,
    onEvent: (event) => {
      events.push(event);
    },
  });
  return { sessions, clock, events };
}

/** A `DbscApp` for a server in the test's process, from `dbscReferenceSessions`. */
export function dbscApp(url: string, reference: ReturnType<typeof dbscReferenceSessions>): DbscApp {
  return {
    url,
    browser: () => new DbscBrowser(url),
    client: () => new Client(url),
    advanceClock(seconds) {
      reference.clock.now += seconds * 1000;
    },
    events: () => reference.events,
    sessions: reference.sessions,
  };
}

const refusals = async (app: DbscApp, detail: string) =>
  (await app.events()).filter(
    (event) => event.type === "session.dbsc_refused" && event.detail === detail,
  );

const SESSION_COOKIE = "session";
const BOUND_COOKIE = "tessera-bound";

async function registeredBrowser(app: DbscApp) {
  const browser = app.browser();
  const login = await browser.post("/login", { json: { user: uniqueUser("alice") } });
  expect(login.status).toBe(200);
  expect(browser.session, "the browser registered a device-bound session").not.toBeNull();
  return browser;
}

/** One DBSC behaviour, named as the test that checks it. */
export interface DbscScenario {
  name: string;
  run: (start: StartDbscApp) => Promise<void>;
}

/** Registration, refresh, and every attack the issue names, over real HTTP. */
export const dbscScenarios: DbscScenario[] = [];

function scenario(name: string, run: (start: StartDbscApp) => Promise<void>) {
  dbscScenarios.push({ name, run });
}

scenario(
  "offers registration on login, registers an ES256 key and answers the session configuration",
  async (start) => {
    const app = await start();
    const browser = app.browser();
    const login = await browser.post("/login", { json: { user: uniqueUser("alice") } });
    const offer = login.headers.get("secure-session-registration");
    expect(offer).toMatch(
      /^\(ES256 RS256\);path="\/tessera\/dbsc\/register";challenge="[a-z2-7]+"$/,
    );
    const registration = browser.registration!;
    expect(registration.status).toBe(200);
    const me = await browser.get("/me");
    expect(registration.body).toEqual({
      session_identifier: me.body.id,
      refresh_url: DBSC_PATHS.refresh,
      scope: {
        include_site: false,
        scope_specification: [{ type: "exclude", path: DBSC_EXCLUDED_PATH }],
      },
      credentials: [
        { type: "cookie", name: BOUND_COOKIE, attributes: "Path=/; HttpOnly; SameSite=Lax" },
      ],
    });
    expect(registration.cookie(BOUND_COOKIE)).toMatch(
      new RegExp(
        `^${BOUND_COOKIE}=[a-z2-7]{32}; Max-Age=${DBSC_COOKIE_TTL}; Path=/; HttpOnly; SameSite=Lax$`,
      ),
    );
    expect(registration.headers.get("secure-session-challenge")).toMatch(
      new RegExp(`^"[a-z2-7]+";id="${me.body.id}"$`),
    );
    expect(registration.headers.get("cache-control")).toMatch(/no-store/);
    expect(me.status).toBe(200);
    expect(me.body.deviceBound).toBe(true);
    const devices = await browser.get("/devices");
    expect(devices.body.devices).toEqual([{ id: me.body.id, deviceBound: true, current: true }]);
    expect((await app.events()).some((event) => event.type === "session.dbsc_registered")).toBe(
      true,
    );
  },
);

scenario("refreshes the bound cookie with the cached challenge when it runs out", async (start) => {
  const app = await start();
  const browser = await registeredBrowser(app);
  const first = browser.client.jar.get(BOUND_COOKIE);
  await app.advanceClock(DBSC_COOKIE_TTL + 1);
  browser.expireCredentials();
  const me = await browser.get("/me");
  expect(me.status).toBe(200);
  expect(browser.client.jar.get(BOUND_COOKIE)).not.toBe(first);
  // Twice more: each refresh hands the challenge the next one signs.
  for (let i = 0; i < 2; i++) {
    await app.advanceClock(DBSC_COOKIE_TTL + 1);
    browser.expireCredentials();
    const exchange = await browser.refresh();
    expect(exchange.answers.map((answer) => answer.status)).toEqual([200]);
    expect((await browser.get("/me")).status).toBe(200);
  }
  expect(
    (await app.events()).filter((event) => event.type === "session.dbsc_refreshed"),
  ).toHaveLength(3);
});

scenario(
  "asks for a proof with a 403 and a challenge when the refresh carries none",
  async (start) => {
    const app = await start();
    const browser = await registeredBrowser(app);
    browser.session!.cachedChallenge = null;
    browser.expireCredentials();
    const exchange = await browser.refresh();
    expect(exchange.answers.map((answer) => answer.status)).toEqual([403, 200]);
    expect(exchange.answers[0]!.headers.get("secure-session-challenge")).toMatch(
      new RegExp(`^"[a-z2-7]+";id="${browser.session!.id}"$`),
    );
    expect(exchange.answers[0]!.body).toEqual({ error: "dbsc-challenge", reason: "no-proof" });
    expect((await browser.get("/me")).status).toBe(200);
    // Reported, so a stream of proof-less refreshes (a copied cookie) can be seen.
    expect(await refusals(app, "no-proof")).toHaveLength(1);
  },
);

scenario(
  "refuses a stolen session cookie without the bound cookie, and the victim goes on",
  async (start) => {
    const app = await start();
    const victim = await registeredBrowser(app);
    const thief = app.client();
    thief.jar.set(SESSION_COOKIE, victim.client.jar.get(SESSION_COOKIE)!);
    const stolen = await thief.get("/me");
    expect(stolen.status).toBe(401);
    expect(stolen.body).toEqual({ error: "unauthenticated", reason: "device-unbound" });
    // The session is alive: refusing the copy must not clear the cookie or end the session.
    expect(stolen.cookie(SESSION_COOKIE)).toBeUndefined();
    expect(await refusals(app, "missing-bound-cookie")).toHaveLength(1);
    expect((await victim.get("/me")).status).toBe(200);
    // The copy used as a bearer token is refused the same way.
    const bearer = await app
      .client()
      .get("/me", { bearer: victim.client.jar.get(SESSION_COOKIE)! });
    expect(bearer.status).toBe(401);
    expect(bearer.body.reason).toBe("device-unbound");
  },
);

scenario(
  "a copied bound cookie stops working when it runs out: the thief cannot refresh without the key",
  async (start) => {
    const app = await start();
    const victim = await registeredBrowser(app);
    const thief = new DbscBrowser(app.url);
    for (const [name, value] of victim.client.jar) thief.client.jar.set(name, value);
    expect((await thief.client.get("/me")).status).toBe(200); // until the bound cookie expires
    await app.advanceClock(DBSC_COOKIE_TTL + 1);
    expect((await thief.client.get("/me")).status).toBe(401);
    // No key: a refresh without a proof only gets a challenge it cannot sign.
    const asked = await thief.client.post(DBSC_PATHS.refresh, {
      headers: { "sec-secure-session-id": `"${victim.session!.id}"` },
    });
    expect(asked.status).toBe(403);
    const challenge = /^"([^"]+)"/.exec(asked.headers.get("secure-session-challenge")!)![1]!;
    // Its own key: refused as another key, and the answer ends the thief's DBSC session.
    const proof = await signProof(await makeSessionKey(), challenge, { withJwk: false });
    const forged = await thief.client.post(DBSC_PATHS.refresh, {
      headers: {
        "sec-secure-session-id": `"${victim.session!.id}"`,
        "secure-session-response": `"${proof}"`,
      },
    });
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ error: "dbsc-refused", reason: "wrong-key" });
    expect(forged.cookie(BOUND_COOKIE)).toBeUndefined();
    expect(await refusals(app, "wrong-key")).toHaveLength(1);
    expect((await thief.client.get("/me")).status).toBe(401);
    // The victim refreshes with its key and goes on.
    victim.expireCredentials();
    expect((await victim.get("/me")).status).toBe(200);
  },
);

scenario("refuses a replayed refresh proof", async (start) => {
  const app = await start();
  const browser = await registeredBrowser(app);
  browser.expireCredentials();
  const exchange = await browser.refresh();
  expect(exchange.answers.map((answer) => answer.status)).toEqual([200]);
  const replay = await app.client().post(DBSC_PATHS.refresh, {
    headers: {
      cookie: `${SESSION_COOKIE}=${browser.client.jar.get(SESSION_COOKIE)}`,
      "sec-secure-session-id": `"${browser.session!.id}"`,
      "secure-session-response": `"${exchange.proofs[0]}"`,
    },
  });
  expect(replay.status).toBe(403);
  expect(replay.body).toEqual({ error: "dbsc-challenge", reason: "replayed-challenge" });
  expect(replay.cookie(BOUND_COOKIE)).toBeUndefined();
  expect(await refusals(app, "replayed-challenge")).toHaveLength(1);
});

scenario(
  "refuses an expired challenge, then accepts a proof of the fresh one it sends",
  async (start) => {
    const app = await start();
    const browser = await registeredBrowser(app);
    // The cached challenge outlives the bound cookie by the challenge lifetime, and no more.
    await app.advanceClock(DBSC_COOKIE_TTL + DBSC_CHALLENGE_TTL + 1);
    browser.expireCredentials();
    const exchange = await browser.refresh();
    expect(exchange.answers.map((answer) => answer.status)).toEqual([403, 200]);
    expect(exchange.answers[0]!.body).toEqual({
      error: "dbsc-challenge",
      reason: "expired-challenge",
    });
    expect(await refusals(app, "expired-challenge")).toHaveLength(1);
    expect((await browser.get("/me")).status).toBe(200);
  },
);

scenario(
  "a revoked session's refresh is refused and ends the device-bound session",
  async (start) => {
    const app = await start();
    const browser = await registeredBrowser(app);
    const id = browser.session!.id;
    expect(await app.sessions.revoke(id)).toBe(true);
    browser.expireCredentials();
    const exchange = await browser.refresh();
    expect(exchange.answers.map((answer) => answer.status)).toEqual([401]);
    expect(exchange.kept).toBe(false);
    expect(browser.session).toBeNull();
    expect((await refusals(app, "session-ended")).map((event) => event.sessionId)).toEqual([id]);
    expect((await browser.get("/me")).status).toBe(401);
  },
);

scenario("log out everywhere ends every device-bound session at once", async (start) => {
  const app = await start();
  const user = uniqueUser("carol");
  const laptop = app.browser();
  const phone = app.browser();
  await laptop.post("/login", { json: { user } });
  await phone.post("/login", { json: { user } });
  expect(await app.sessions.revokeAll(user)).toBe(2);
  for (const browser of [laptop, phone]) {
    // Even with a bound cookie still live, the session itself is gone.
    expect((await browser.client.get("/me")).status).toBe(401);
    browser.expireCredentials();
    expect((await browser.refresh()).kept).toBe(false);
  }
});

scenario(
  "logout clears the bound cookie and the next refresh ends the device-bound session",
  async (start) => {
    const app = await start();
    const browser = await registeredBrowser(app);
    const out = await browser.post("/logout");
    expect(out.body).toEqual({ ended: true });
    expect(out.cookie(BOUND_COOKIE)).toMatch(new RegExp(`^${BOUND_COOKIE}=; Max-Age=0`));
    const after = await browser.get("/me"); // the missing bound cookie makes the browser refresh first
    expect(after.status).toBe(401);
    expect(browser.session).toBeNull();
  },
);

scenario("refuses a second key for a session that is already bound", async (start) => {
  const app = await start();
  const browser = app.browser();
  const login = await browser.post("/login", { json: { user: uniqueUser("dave") } });
  const challenge = /challenge="([^"]+)"/.exec(
    login.headers.get("secure-session-registration")!,
  )![1]!;
  const thiefKey = await makeSessionKey();
  const proof = await signProof(thiefKey, challenge, { withJwk: true });
  const second = await app.client().post(DBSC_PATHS.registration, {
    headers: {
      cookie: `${SESSION_COOKIE}=${browser.client.jar.get(SESSION_COOKIE)}`,
      "secure-session-response": `"${proof}"`,
    },
  });
  expect(second.status).toBe(400);
  expect(second.body).toEqual({ error: "dbsc-refused", reason: "already-bound" });
  expect(await refusals(app, "already-bound")).toHaveLength(1);
});

scenario("refuses a registration proof that is not a DBSC proof", async (start) => {
  const app = await start();
  const client = app.client();
  const login = await client.post("/login", { json: { user: uniqueUser("erin") } });
  const challenge = /challenge="([^"]+)"/.exec(
    login.headers.get("secure-session-registration")!,
  )![1]!;
  const key = await makeSessionKey();
  const good = await signProof(key, challenge, { withJwk: true });
  const [header, payload, signature] = good.split(".");
  const wrongType = Buffer.from(
    JSON.stringify({ alg: "ES256", typ: "JWT", jwk: key.jwk }),
  ).toString("base64url");
  for (const proof of [`${wrongType}.${payload}.${signature}`, `${header}.${payload}.AAAA`, "x"]) {
    const answer = await client.post(DBSC_PATHS.registration, {
      headers: { "secure-session-response": `"${proof}"` },
    });
    // Refused, and offered again (a 403 with the registration header, as the explainer allows)
    // with the same pending challenge: no new login needed, nothing pushed out.
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: "dbsc-refused", reason: "malformed-proof" });
    expect(answer.headers.get("secure-session-registration")).toBe(
      login.headers.get("secure-session-registration"),
    );
  }
  // The challenge was not used up by the refusals: the real proof registers.
  const answer = await client.post(DBSC_PATHS.registration, {
    headers: { "secure-session-response": `"${good}"` },
  });
  expect(answer.status).toBe(200);
});

scenario("browsers without DBSC keep working as before", async (start) => {
  const app = await start();
  const client = app.client();
  const login = await client.post("/login", { json: { user: uniqueUser("frank") } });
  expect(login.headers.get("secure-session-registration")).not.toBeNull();
  for (let i = 0; i < 3; i++) {
    await app.advanceClock(DBSC_COOKIE_TTL + 1);
    const me = await client.get("/me");
    expect(me.status).toBe(200);
    expect(me.body.deviceBound).toBe(false);
  }
  const devices = await client.get("/devices");
  expect(devices.body.devices[0].deviceBound).toBe(false);
});

// ---------------------------------------------------------------------------------------------
// The outside security review (issue #31): each finding as the attack over HTTP, now harmless.
// ---------------------------------------------------------------------------------------------

scenario(
  "proof-less refreshes by a cookie thief do not push out the challenge the browser cached",
  async (start) => {
    const app = await start();
    const victim = await registeredBrowser(app);
    const cached = victim.session!.cachedChallenge;
    const thief = app.client();
    thief.jar.set(SESSION_COOKIE, victim.client.jar.get(SESSION_COOKIE)!);
    for (let i = 0; i < 4; i++) {
      const asked = await thief.post(DBSC_PATHS.refresh, {
        headers: { "sec-secure-session-id": `"${victim.session!.id}"` },
      });
      expect(asked.status).toBe(403);
      expect(asked.body).toEqual({ error: "dbsc-challenge", reason: "no-proof" });
    }
    expect(await refusals(app, "no-proof")).toHaveLength(4);
    // The browser's next refresh signs the challenge it cached, and succeeds at once.
    app.advanceClock(DBSC_COOKIE_TTL + 1);
    victim.expireCredentials();
    expect(victim.session!.cachedChallenge).toBe(cached);
    const exchange = await victim.refresh();
    expect(exchange.answers.map((answer) => answer.status)).toEqual([200]);
    expect((await victim.get("/me")).status).toBe(200);
  },
);

scenario(
  "refuses a refresh proof signed by another key that carries that key in its own header",
  async (start) => {
    const app = await start();
    const victim = await registeredBrowser(app);
    const thief = app.client();
    thief.jar.set(SESSION_COOKIE, victim.client.jar.get(SESSION_COOKIE)!);
    const asked = await thief.post(DBSC_PATHS.refresh, {
      headers: { "sec-secure-session-id": `"${victim.session!.id}"` },
    });
    const challenge = /^"([^"]+)"/.exec(asked.headers.get("secure-session-challenge")!)![1]!;
    // A well-formed, validly signed proof: its `jwk` header names the key that signed it. Only
    // the key the session registered counts, never the one a proof brings along.
    const proof = await signProof(await makeSessionKey(), challenge, { withJwk: true });
    const forged = await thief.post(DBSC_PATHS.refresh, {
      headers: {
        "sec-secure-session-id": `"${victim.session!.id}"`,
        "secure-session-response": `"${proof}"`,
      },
    });
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ error: "dbsc-refused", reason: "wrong-key" });
    expect(forged.cookie(BOUND_COOKIE)).toBeUndefined();
    expect(await refusals(app, "wrong-key")).toHaveLength(1);
  },
);

scenario(
  "registers a key on a login another site started (an identity provider posting back)",
  async (start) => {
    const app = await start();
    const client = app.client();
    const login = await client.post("/login", { json: { user: uniqueUser("gina") } });
    const challenge = /challenge="([^"]+)"/.exec(
      login.headers.get("secure-session-registration")!,
    )![1]!;
    const key = await makeSessionKey();
    const crossSite = { origin: "https://idp.example", "sec-fetch-site": "cross-site" };
    // The route is authenticated by the proof: without one, a cross-site post changes nothing.
    const bare = await client.post(DBSC_PATHS.registration, { headers: crossSite });
    expect(bare.status).toBe(403);
    expect(bare.body).toEqual({ error: "dbsc-refused", reason: "malformed-proof" });
    const proof = await signProof(key, challenge, { withJwk: true });
    const registered = await client.post(DBSC_PATHS.registration, {
      headers: { ...crossSite, "secure-session-response": `"${proof}"` },
    });
    expect(registered.status).toBe(200);
    expect(registered.cookie(BOUND_COOKIE)).toBeDefined();
    // Every other unsafe route keeps the CSRF rule.
    const logout = await client.post("/logout", { headers: crossSite });
    expect(logout.status).toBe(403);
    expect(logout.body).toEqual({ error: "cross-site-request", reason: "cross-site" });
  },
);

scenario(
  "an excluded path does not require the bound cookie, and only that path",
  async (start) => {
    const app = await start();
    const victim = await registeredBrowser(app);
    const copy = app.client();
    copy.jar.set(SESSION_COOKIE, victim.client.jar.get(SESSION_COOKIE)!);
    // The browser does not renew the bound cookie for an excluded path: requiring it there
    // would log the user out of those paths every `cookieTtl`.
    expect((await copy.get(DBSC_EXCLUDED_PATH)).status).toBe(200);
    const me = await copy.get("/me");
    expect(me.status).toBe(401);
    expect(me.body).toEqual({ error: "unauthenticated", reason: "device-unbound" });
  },
);

scenario(
  "limits refreshes per session and address: 429 with Retry-After, and the browser keeps its session",
  async (start) => {
    const app = await start();
    const victim = await registeredBrowser(app);
    const ask = () =>
      victim.client.post(DBSC_PATHS.refresh, {
        headers: { "sec-secure-session-id": `"${victim.session!.id}"` },
      });
    for (let i = 0; i < 5; i++) expect((await ask()).status).toBe(403);
    const limited = await ask();
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: "too-many-requests" });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // The draft: a 429 does not end the device-bound session.
    victim.expireCredentials();
    const exchange = await victim.refresh();
    expect(exchange.answers.map((answer) => answer.status)).toEqual([429]);
    expect(exchange.kept).toBe(true);
    expect(victim.session).not.toBeNull();
  },
);
