/**
 * The application under soak: a small Express API on @tessera/express, on a loopback port, with
 * a clock the harness moves forward ("pauses past grace" without waiting).
 */
import type { AddressInfo } from "node:net";
import { createSessions, type SessionEvent, type SessionStore, type Sessions } from "@tessera/core";
import { requireFresh, requireSession, storeErrorHandler, tessera } from "@tessera/express";
import express from "express";

/** The server's clock: real time plus whatever the harness skipped. */
export interface Clock {
  offsetMs: number;
}

/** Session settings of the soak (seconds). */
export const SETTINGS = {
  idleTimeout: 2 * 60 * 60,
  absoluteTimeout: 30 * 24 * 60 * 60,
  rotation: { interval: 5 * 60, grace: 30 },
  freshFor: 10 * 60,
};

/** The seats of the `licence` class (`limit: { perUser, when: "evict-oldest" }`). */
export const LICENCE_SEATS = 3;

/** A running soak server. */
export interface SoakServer {
  url: string;
  sessions: Sessions;
  close(): Promise<void>;
}

/** Starts the API on `store` with `clock`. */
export async function startServer(
  store: SessionStore,
  clock: Clock,
  onEvent?: (event: SessionEvent) => void,
): Promise<SoakServer> {
  const sessions = createSessions({
    store,
    ...(onEvent ? { onEvent } : {}),
    ...SETTINGS,
    policies: { licence: { limit: { perUser: LICENCE_SEATS, when: "evict-oldest" } } },
    cookie: { secure: false },
    // A store call that takes longer is a store outage: answer 503 rather than hang.
    storeTimeout: 1500,
    now: () => Date.now() + clock.offsetMs,
  });
  const app = express();
  app.use(express.json());
  app.use(tessera(sessions));

  app.post("/login", async (req, res) => {
    const userId = String(req.body?.userId ?? "");
    const policy = typeof req.body?.policy === "string" ? req.body.policy : undefined;
    // A request holding a guest session (POST /guest) upgrades it: the cart comes along.
    const created = await req.tessera.login({ userId, ...(policy ? { policy } : {}) });
    res.json({ sessionId: created.session.id, token: created.token });
  });
  app.post("/guest", async (req, res) => {
    const cart = Array.isArray(req.body?.cart) ? req.body.cart.map(String) : [];
    const guest = await req.tessera.startGuest({ cart });
    res.json({ guestId: guest?.id ?? null });
  });
  app.get("/api/me", requireSession(), (req, res) => {
    res.json({ sessionId: req.session?.id, fresh: req.session?.fresh, data: req.session?.data });
  });
  app.get("/api/sensitive", requireFresh(), (req, res) => {
    res.json({ sessionId: req.session?.id, fresh: true });
  });
  app.post("/api/step-up", requireSession(), async (req, res) => {
    // Step-up through the integration: a new secret, fresh again, the cookie (or the bearer
    // header) written by @tessera/express with Cache-Control: private, no-store.
    const stepped = await req.tessera.reauthenticate();
    if (!stepped) {
      res.status(409).json({ error: "stale", reason: req.tessera.reason });
      return;
    }
    res.json({ sessionId: stepped.id, fresh: stepped.fresh });
  });
  app.post("/api/logout-everywhere", requireSession(), async (req, res) => {
    const ended = await req.tessera.logoutEverywhere({
      keepCurrent: req.body?.keepCurrent === true,
    });
    res.json({ ended });
  });
  app.use(storeErrorHandler());

  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
