/**
 * The app every runtime serves in the runtime tests: the built @tessera/core, @tessera/hono and
 * @tessera/access-token (through their package exports, as an application imports them) behind
 * one Hono app. The per-runtime entries (workerd.ts, deno.ts, bun.ts) only serve it.
 *
 * Routes: the Hono integration's login / me / fresh / logout / logout-everywhere, an access
 * token exchange and a downstream API verifying it, `/core` and `/access-token` (scenarios run
 * inside the runtime, their outcome answered as JSON), and `/clock` to move the sessions' clock
 * forward, so rotation, grace and freshness are tested without waiting.
 */

import {
  type AccessTokens,
  createAccessTokens,
  createVerifier,
  generateSigningKey,
  jwksEndpoint,
  withAccessToken,
} from "@tessera/access-token";
import { createSessions, MemoryStore } from "@tessera/core";
import {
  login,
  logout,
  logoutEverywhere,
  requireFresh,
  requireSession,
  tessera,
} from "@tessera/hono";
import { type Context, Hono } from "hono";

/** Options of `createSmokeApp`: how this runtime tells the client address. */
export interface SmokeAppOptions {
  runtime: string;
  getRemoteAddress?: (c: Context) => string | undefined;
}

const ISSUER = "https://runtime-tests.example";

/** A core lifecycle run entirely inside the runtime: create, validate, rotate, reuse, revoke. */
async function coreLifecycle() {
  let now = Date.now();
  const sessions = createSessions({
    store: new MemoryStore({ now: () => now }),
    rotation: { interval: 60, grace: 5 },
    now: () => now,
  });
  const client = { ip: "203.0.113.1", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" };
  const first = await sessions.create({ userId: "runtime-user", client });
  await sessions.create({ userId: "runtime-user", client });
  const plain = await sessions.validate(first.token, client);
  now += 61_000;
  const rotated = await sessions.validate(first.token, client);
  const newToken = rotated.ok ? rotated.token : null;
  const confirmed = await sessions.validate(newToken ?? "", client);
  now += 6_000;
  const replayed = await sessions.validate(first.token, client);
  const afterReuse = await sessions.validate(newToken ?? "", client);
  const third = await sessions.create({ userId: "runtime-user", client });
  const listed = (await sessions.list("runtime-user")).length;
  const revokedAll = await sessions.revokeAll("runtime-user");
  const afterRevokeAll = await sessions.validate(third.token, client);
  return {
    tokenLength: first.token.length,
    plain: plain.ok && plain.token === null,
    rotated: typeof newToken === "string" && newToken !== first.token,
    confirmed: confirmed.ok,
    replayed: replayed.ok ? "accepted" : replayed.reason,
    afterReuse: afterReuse.ok ? "accepted" : afterReuse.reason,
    listed,
    revokedAll,
    afterRevokeAll: afterRevokeAll.ok ? "accepted" : afterRevokeAll.reason,
  };
}

/** Issues and verifies an access token with every algorithm, inside the runtime. */
async function accessTokenRoundTrips() {
  const out: Record<string, unknown> = {};
  for (const alg of ["EdDSA", "ES256", "HS256"] as const) {
    const key = await generateSigningKey(alg);
    const tokens = createAccessTokens({ keys: [key], issuer: ISSUER, audience: "api" });
    const token = await tokens.issue({ id: "runtime-session", userId: "runtime-user" });
    const verifier =
      alg === "HS256"
        ? createVerifier({ keys: [key], issuer: ISSUER, audience: "api" })
        : createVerifier({ jwks: tokens.jwks(), issuer: ISSUER, audience: "api" });
    const good = await verifier.verify(token);
    const tampered = await verifier.verify(`${token.slice(0, -4)}AAAA`);
    out[alg] = [
      good.ok ? good.claims.sub : good.reason,
      tampered.ok ? "accepted" : tampered.reason,
    ];
  }
  return out;
}

/** The app, with its own in-memory sessions and signing key. */
export function createSmokeApp(options: SmokeAppOptions): Hono {
  let offset = 0;
  const now = () => Date.now() + offset;
  const sessions = createSessions({
    store: new MemoryStore({ now }),
    rotation: { interval: 5 * 60, grace: 30 },
    freshFor: 10 * 60,
    now,
  });
  // Made on first use: Workers refuse to generate keys (random bytes) at module scope.
  let signing: Promise<AccessTokens> | undefined;
  const tokens = () => {
    signing ??= generateSigningKey("EdDSA").then((key) =>
      createAccessTokens({ keys: [key], issuer: ISSUER, audience: "api" }),
    );
    return signing;
  };

  const app = new Hono();
  app.get("/runtime", (c) => c.json({ runtime: options.runtime }));
  app.get("/core", async (c) => c.json(await coreLifecycle()));
  app.get("/access-token", async (c) => c.json(await accessTokenRoundTrips()));
  app.post("/clock", async (c) => {
    const { advance } = await c.req.json<{ advance: number }>();
    offset += advance * 1000;
    return c.json({ offset });
  });

  const auth = new Hono();
  auth.use(
    tessera(
      sessions,
      options.getRemoteAddress ? { getRemoteAddress: options.getRemoteAddress } : {},
    ),
  );
  auth.post("/login", async (c) => {
    const { user } = await c.req.json<{ user: string }>();
    const { session, token } = await login(c, user);
    return c.json({ user: session.userId, token });
  });
  auth.get("/me", requireSession(), (c) => {
    const session = c.var.session!;
    return c.json({ user: session.userId, ip: session.client.ip ?? null });
  });
  auth.get("/fresh", requireFresh(), (c) => c.json({ fresh: true }));
  auth.post("/logout", async (c) => c.json({ ended: await logout(c) }));
  auth.post("/logout-everywhere", requireSession(), async (c) =>
    c.json({ ended: await logoutEverywhere(c) }),
  );
  auth.post("/token", requireSession(), async (c) =>
    c.json({ access_token: await (await tokens()).issue(c.var.session!) }),
  );
  app.route("/", auth);

  app.get("/jwks", async (c) => jwksEndpoint(await tokens())(c.req.raw));
  app.get("/api/whoami", async (c) => {
    const verifier = createVerifier({
      jwks: (await tokens()).jwks(),
      issuer: ISSUER,
      audience: "api",
    });
    return withAccessToken(verifier, (_request, claims) =>
      Response.json({ sub: claims.sub, sid: claims.sid }),
    )(c.req.raw);
  });
  return app;
}
