/**
 * The demo's routes. Every capability of Tessera is reachable from a page: log in (a fresh
 * session), devices (list, revoke one, log out everywhere else), step-up before a sensitive
 * action, the rotation sign, and the admin's event log.
 */

import {
  ImpersonationRefusedError,
  type Session,
  SessionLimitError,
  type Sessions,
  TesseraError,
} from "@tessera/core";
import type { DbscHandler, HttpAnswer } from "@tessera/core/http";
import { login, logout, logoutEverywhere, tessera } from "@tessera/hono";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import { type Account, type Accounts, SignupRefused } from "./accounts.js";
import type { Audit } from "./audit.js";
import { type AttemptLimits, HashingBusy, TooManyAttempts } from "./limits.js";
import {
  accountPage,
  devicesPage,
  errorPage,
  eventsPage,
  landingPage,
  type Notice,
  SHOP_ITEMS,
  securityPage,
} from "./views.js";

/** What the app needs. */
export interface DemoDependencies {
  sessions: Sessions;
  accounts: Accounts;
  audit: Audit;
  /** Attempt limits of the login, sign-up and step-up forms. */
  limits: AttemptLimits;
  /** Shown on the account page, e.g. "PGlite (embedded, ./data)". */
  storeName: string;
  /** Reads the client IP of a request (the Node server's socket address). */
  clientIp: (c: Context) => string | undefined;
  /** Sees every refusal Tessera answers (403, 401, 503), e.g. to count them in metrics. */
  onRefusal?: (answer: HttpAnswer) => void;
  /** Device-bound sessions (DBSC, `createDbsc()` of `@tessera/dbsc`), if on. */
  dbsc?: DbscHandler;
}

/** The demo's own context variables. */
type DemoEnv = { Variables: { startedAt: number; stepUpCookie: string | undefined } };

/** Session data the demo keeps: enough to render a page without reading the account. */
interface DemoSessionData {
  username: string;
  admin: boolean;
  /** The shop's cart: started as a guest before login, carried into the session at login. */
  cart?: string[];
}

const MAX_CART = 20;

function cartOf(data: unknown): string[] {
  const cart = (data as { cart?: unknown } | null)?.cart;
  return Array.isArray(cart) ? cart.filter((item): item is string => typeof item === "string") : [];
}

const ENDED: Record<string, string> = {
  "not-found": "Your session has ended (it was revoked or timed out). Please log in again.",
  expired: "Your session expired. Please log in again.",
  reused:
    "Your session was ended because an old copy of its cookie was used again: someone else may have had it. Please log in again.",
  "binding-mismatch": "Your session is bound to another device. Please log in again.",
  "device-unbound":
    "This session is bound to the browser that signed in (DBSC): a copy of its cookie does not work anywhere else. Please log in again.",
  "invalid-secret": "Your session cookie was not valid. Please log in again.",
  malformed: "Your session cookie was not valid. Please log in again.",
};

const MESSAGES: Record<string, Notice> = {
  "logged-out": { kind: "info", text: "You are logged out." },
  revoked: { kind: "info", text: "That device was logged out." },
  "others-revoked": { kind: "info", text: "Every other device was logged out." },
  confirmed: { kind: "info", text: "Password confirmed: sensitive actions are open for a while." },
  "password-changed": {
    kind: "info",
    text: "Password changed. Your other devices were logged out.",
  },
  "impersonation-ended": { kind: "info", text: "You are back in your own session." },
};

function accountOf(session: Session): Account {
  const data = session.data as Partial<DemoSessionData>;
  return {
    id: session.userId,
    username: data.username ?? "?",
    isAdmin: data.admin === true && session.impersonatedBy === null,
    impersonatedBy: session.impersonatedBy,
  };
}

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === "string" ? value : "";
}

/** Builds the Hono app. */
export function createDemoApp(deps: DemoDependencies) {
  const { sessions, accounts, audit, limits } = deps;
  /** The client address the limits count by, as the gate derived it (none: not counted by address). */
  const ipOf = (c: Context<DemoEnv>) => c.var.tessera.client.ip;
  // c.var.session and c.var.tessera are typed by @tessera/hono (ContextVariableMap).
  const app = new Hono<DemoEnv>();

  app.use(secureHeaders());
  app.use(
    bodyLimit({
      maxSize: 16 * 1024,
      onError: (c) => c.html(errorPage(null, "Too large", "That request was too large."), 413),
    }),
  );
  app.use(async (c, next) => {
    c.set("startedAt", Date.now());
    await next();
    // The step-up's new cookie goes last, after the one tessera() appends for a rotation on the
    // same request, so the browser keeps the stepped-up token. (Until @tessera/hono has a
    // reauthenticate helper that writes it.)
    const stepUpCookie = c.get("stepUpCookie");
    if (stepUpCookie) c.header("Set-Cookie", stepUpCookie, { append: true });
  });
  app.use(
    tessera(sessions, {
      getRemoteAddress: deps.clientIp,
      ...(deps.onRefusal ? { onRefusal: deps.onRefusal } : {}),
      ...(deps.dbsc ? { dbsc: deps.dbsc } : {}),
    }),
  );

  const notice = (c: Context): Notice[] => {
    const key = c.req.query("m");
    const message = key ? MESSAGES[key] : undefined;
    return message ? [message] : [];
  };

  /** The signed-in account, or a redirect to the start page saying why the session ended. */
  const signedIn = (
    c: Context<DemoEnv>,
  ): { session: Session; account: Account } | { redirect: Response } => {
    const session = c.var.session;
    if (session) return { session, account: accountOf(session) };
    const reason = c.var.tessera.reason;
    return { redirect: c.redirect(reason ? `/?ended=${encodeURIComponent(reason)}` : "/") };
  };

  app.get("/", (c) => {
    if (c.var.session) return c.redirect("/account");
    const ended = c.req.query("ended") ?? c.var.tessera.reason;
    const notices = notice(c);
    if (ended && ENDED[ended]) notices.push({ kind: "warn", text: ENDED[ended] });
    return c.html(landingPage(notices, "", cartOf(c.var.tessera.guest?.data)));
  });

  // The shop's cart: a visitor's lives in a guest session (no account needed), a user's in the
  // session. Logging in upgrades the guest session: a new token, the cart carried over.
  app.post("/cart", async (c) => {
    const body = await c.req.parseBody();
    const item = field(body, "item");
    if (!SHOP_ITEMS.includes(item)) {
      return c.html(errorPage(null, "Not found", "There is no such item in the shop."), 400);
    }
    const add = (data: Record<string, unknown>) => ({
      ...data,
      cart: [...cartOf(data), item].slice(-MAX_CART),
    });
    if (c.var.session) {
      await sessions.update(c.var.session.id, add);
      return c.redirect("/account", 303);
    }
    await c.var.tessera.startGuest({ cart: [] });
    await c.var.tessera.updateGuest(add);
    return c.redirect("/", 303);
  });

  app.post("/signup", async (c) => {
    const body = await c.req.parseBody();
    await limits.beforeSignup(ipOf(c));
    try {
      const account = await accounts.signUp(
        field(body, "username"),
        field(body, "password"),
        ipOf(c),
      );
      await login(c, account.id, { username: account.username, admin: account.isAdmin });
      return c.redirect("/account", 303);
    } catch (error) {
      if (!(error instanceof SignupRefused)) throw error;
      return c.html(landingPage([{ kind: "error", text: error.message }]), 400);
    }
  });

  app.post("/login", async (c) => {
    const body = await c.req.parseBody();
    const username = field(body, "username");
    const key = username.trim().toLowerCase().slice(0, 64);
    await limits.beforePassword(ipOf(c), key);
    const account = await accounts.logIn(username, field(body, "password"), ipOf(c));
    if (!account) {
      await limits.failed(ipOf(c), key);
      return c.html(
        landingPage(
          [{ kind: "error", text: "Wrong username or password." }],
          username.slice(0, 64),
        ),
        401,
      );
    }
    await limits.succeeded(ipOf(c), key);
    // "Remember me" picks the session's policy class: a persistent cookie and a month, or a
    // cookie that ends with the browser. A guest's cart comes along (the login upgrades it).
    await login(c, {
      userId: account.id,
      data: { username: account.username, admin: account.isAdmin },
      policy: body.remember === "on" ? "remembered" : "default",
    });
    return c.redirect("/account", 303);
  });

  app.post("/logout", async (c) => {
    await logout(c);
    return c.redirect("/?m=logged-out", 303);
  });

  app.get("/account", async (c) => {
    const found = signedIn(c);
    if ("redirect" in found) return found.redirect;
    const { session, account } = found;
    return c.html(
      accountPage(
        account,
        session,
        {
          rotatedNow: audit.rotatedSince(session.id, c.var.startedAt),
          rotations: await audit.rotations(session.id),
          storeName: deps.storeName,
          cart: cartOf(session.data),
        },
        notice(c),
      ),
    );
  });

  app.get("/devices", async (c) => {
    const found = signedIn(c);
    if ("redirect" in found) return found.redirect;
    const devices = await sessions.list(found.session.userId, { current: found.session.id });
    return c.html(devicesPage(found.account, devices, notice(c)));
  });

  app.post("/devices/:id/revoke", async (c) => {
    const found = signedIn(c);
    if ("redirect" in found) return found.redirect;
    const id = c.req.param("id");
    // Only the owner may end a session: look it up among the user's own.
    const own = await sessions.list(found.session.userId);
    if (!own.some((device) => device.id === id)) {
      return c.html(errorPage(found.account, "Not found", "No such device on your account."), 404);
    }
    await sessions.revoke(id);
    return c.redirect("/devices?m=revoked", 303);
  });

  app.post("/devices/revoke-others", async (c) => {
    const found = signedIn(c);
    if ("redirect" in found) return found.redirect;
    await logoutEverywhere(c, { keepCurrent: true });
    return c.redirect("/devices?m=others-revoked", 303);
  });

  app.get("/security", (c) => {
    const found = signedIn(c);
    if ("redirect" in found) return found.redirect;
    return c.html(securityPage(found.account, found.session, notice(c)));
  });

  app.post("/security/confirm", async (c) => {
    const found = signedIn(c);
    if ("redirect" in found) return found.redirect;
    const body = await c.req.parseBody();
    const key = found.account.username;
    await limits.beforePassword(ipOf(c), key);
    if (!(await accounts.checkPassword(found.session.userId, field(body, "password"), ipOf(c)))) {
      await limits.failed(ipOf(c), key);
      return c.html(
        securityPage(found.account, found.session, [{ kind: "error", text: "Wrong password." }]),
        401,
      );
    }
    await limits.succeeded(ipOf(c), key);
    // Step-up rotates the secret: a copy of the cookie taken before never becomes fresh.
    const stepped = await sessions.reauthenticate(c.var.tessera.token, {
      ip: deps.clientIp(c),
      userAgent: c.req.header("user-agent"),
    });
    if (!stepped.ok || !stepped.token) {
      return c.html(
        securityPage(found.account, found.session, [
          { kind: "warn", text: "Your session changed meanwhile. Please confirm again." },
        ]),
        409,
      );
    }
    c.set("stepUpCookie", sessions.cookie.serialize(stepped.token, stepped.session.expiresAt));
    return c.redirect("/security?m=confirmed", 303);
  });

  app.post("/security/password", async (c) => {
    const found = signedIn(c);
    if ("redirect" in found) return found.redirect;
    if (!found.session.fresh) {
      return c.html(
        securityPage(found.account, found.session, [
          { kind: "warn", text: "Please confirm your password first." },
        ]),
        403,
      );
    }
    const body = await c.req.parseBody();
    try {
      await accounts.changePassword(found.session.userId, field(body, "password"), ipOf(c));
    } catch (error) {
      if (!(error instanceof SignupRefused)) throw error;
      return c.html(
        securityPage(found.account, found.session, [{ kind: "error", text: error.message }]),
        400,
      );
    }
    await logoutEverywhere(c, { keepCurrent: true });
    return c.redirect("/security?m=password-changed", 303);
  });

  app.get("/admin/events", async (c) => {
    const found = signedIn(c);
    if ("redirect" in found) return found.redirect;
    // The database decides, not the session: a demotion takes effect at once.
    const current = await accounts.find(found.session.userId);
    if (!current?.isAdmin) {
      return c.html(
        errorPage(found.account, "Forbidden", "Only the admin can read every event."),
        403,
      );
    }
    return c.html(
      eventsPage({ ...found.account, isAdmin: true }, await audit.latest(100), notice(c)),
    );
  });

  // Support: the admin acts as a user (marked, audited, never fresh) and comes back.
  app.post("/admin/impersonate", async (c) => {
    const found = signedIn(c);
    if ("redirect" in found) return found.redirect;
    const current = await accounts.find(found.session.userId);
    if (!current?.isAdmin) {
      return c.html(
        errorPage(found.account, "Forbidden", "Only the admin can act as a user."),
        403,
      );
    }
    const body = await c.req.parseBody();
    const reason = field(body, "reason").trim().slice(0, 200);
    const target = await accounts.findByUsername(field(body, "username"));
    if (!target || !reason) {
      return c.html(
        errorPage(found.account, "Not found", "Name an existing user and say why you act as them."),
        400,
      );
    }
    await c.var.tessera.impersonate(target.id, {
      reason,
      data: { username: target.username, admin: target.isAdmin },
    });
    return c.redirect("/account", 303);
  });

  app.post("/impersonation/stop", async (c) => {
    const back = await c.var.tessera.stopImpersonating();
    return c.redirect(back ? "/admin/events?m=impersonation-ended" : "/", 303);
  });

  app.notFound((c) =>
    c.html(errorPage(null, "Not found", "There is no page at this address."), 404),
  );
  app.onError((error, c) => {
    if (error instanceof ImpersonationRefusedError) {
      const text =
        error.reason === "admin-target"
          ? "An admin cannot act as another admin."
          : error.reason === "self"
            ? "You cannot act as yourself."
            : "You cannot act as another user from here.";
      return c.html(errorPage(null, "Refused", text), 403);
    }
    if (error instanceof SessionLimitError) {
      return c.html(errorPage(null, "Too many sessions", "You have too many sessions open."), 403);
    }
    if (error instanceof TooManyAttempts) {
      c.header("Retry-After", String(error.retryAfterSeconds));
      const minutes = Math.ceil(error.retryAfterSeconds / 60);
      return c.html(
        errorPage(
          null,
          "Too many attempts",
          `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
        ),
        429,
      );
    }
    if (error instanceof HashingBusy) {
      c.header("Retry-After", "1");
      return c.html(errorPage(null, "Busy", "The server is busy. Try again in a moment."), 503);
    }
    if (error instanceof TesseraError && error.code === "store-unavailable") {
      return c.html(
        errorPage(null, "Unavailable", "The session store is unreachable. Try again soon."),
        503,
      );
    }
    console.error("request failed:", error instanceof Error ? error.message : error);
    return c.html(errorPage(null, "Error", "Something went wrong on our side."), 500);
  });

  return app;
}
