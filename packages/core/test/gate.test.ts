/**
 * The request gate (`@tessera/core/http`) in isolation: what every integration inherits. The
 * integrations run the same rules again over real HTTP (@tessera/test-kit's scenarios).
 */
import { describe, expect, it } from "vitest";
import { clientAddress } from "../src/http/client-address.js";
import {
  answerForError,
  createGate,
  type GateOptions,
  type RequestFacts,
  type ResponseEffects,
  readHeader,
  serializeCookie,
} from "../src/http/index.js";
import {
  createSessions,
  InvalidArgumentError,
  isTesseraError,
  MemoryStore,
  SessionConflictError,
  type SessionStore,
  StoreUnavailableError,
  TesseraConfigError,
} from "../src/index.js";

const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

function setup(options: GateOptions = {}, store?: SessionStore) {
  const clock = { now: Date.now() };
  const sessions = createSessions({
    store: store ?? new MemoryStore({ now: () => clock.now }),
    rotation: { interval: 60, grace: 10 },
    cookie: { secure: false },
    now: () => clock.now,
  });
  return { sessions, clock, gate: createGate(sessions, options) };
}

/** A request as an integration would describe it. */
function request(
  headers: Record<string, string> = {},
  extra: Partial<Omit<RequestFacts, "header">> = {},
): RequestFacts {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: "GET",
    header: (name) => lower[name],
    remoteAddress: "127.0.0.1",
    secure: false,
    ...extra,
  };
}

const post = (headers: Record<string, string> = {}) => request(headers, { method: "POST" });

describe("CSRF: unsafe requests and where they come from", () => {
  it("lets safe methods through whatever their origin", async () => {
    const { gate } = setup();
    for (const method of ["GET", "head", "OPTIONS"]) {
      const state = await gate.open(
        request({ origin: "https://evil.test", "sec-fetch-site": "cross-site" }, { method }),
      );
      expect(state.refusal).toBeNull();
    }
  });

  it("accepts Sec-Fetch-Site same-origin and none, refuses same-site and cross-site", async () => {
    const { gate } = setup();
    for (const site of ["same-origin", "none"]) {
      expect((await gate.open(post({ "sec-fetch-site": site }))).refusal).toBeNull();
    }
    for (const site of ["same-site", "cross-site"]) {
      const state = await gate.open(post({ "sec-fetch-site": site, host: "app.test" }));
      expect(state.refusal?.status).toBe(403);
      expect(JSON.parse(state.refusal!.body)).toEqual({
        error: "cross-site-request",
        reason: "cross-site",
      });
    }
  });

  it("compares Origin with the request's scheme, host and port", async () => {
    const { gate } = setup();
    const open = (origin: string, secure = false) =>
      gate.open(request({ origin, host: "app.test:8080" }, { method: "POST", secure }));
    expect((await open("http://app.test:8080")).refusal).toBeNull();
    expect((await open("http://APP.test:8080")).refusal).toBeNull();
    expect((await open("https://app.test:8080")).refusal?.status).toBe(403); // scheme differs
    expect((await open("http://app.test:8081")).refusal?.status).toBe(403); // port differs
    expect((await open("http://app.test")).refusal?.status).toBe(403);
    expect((await open("https://app.test:8080", true)).refusal).toBeNull();
  });

  it("lets a bare allowed host in over https only when the session cookie is Secure", async () => {
    const from = (origin: string) =>
      request(
        { origin, "sec-fetch-site": "same-site", host: "app.example.test" },
        { method: "POST", secure: true },
      );
    const secure = createGate(createSessions({ store: new MemoryStore() }), {
      allowedOrigins: ["admin.example.test"],
    });
    expect((await secure.open(from("https://admin.example.test"))).refusal).toBeNull();
    expect((await secure.open(from("http://admin.example.test"))).refusal?.status).toBe(403);
    // Development over plain HTTP (a cookie without Secure): the scheme is not checked.
    const { gate: plain } = setup({ allowedOrigins: ["admin.example.test"] });
    expect((await plain.open(from("http://admin.example.test"))).refusal).toBeNull();
  });

  it("treats a default port as no port", async () => {
    const { gate } = setup();
    const state = await gate.open(
      request(
        { origin: "https://app.test", host: "app.test:443" },
        { method: "POST", secure: true },
      ),
    );
    expect(state.refusal).toBeNull();
  });

  it("refuses Origin: null as an opaque origin", async () => {
    const { gate } = setup();
    const state = await gate.open(post({ origin: "null" }));
    expect(state.refusal?.refusal).toEqual({
      error: "cross-site-request",
      reason: "opaque-origin",
    });
  });

  it("refuses an unsafe request that carries the session cookie but neither header", async () => {
    const { gate, sessions } = setup();
    const { token } = await sessions.create({ userId: "u1" });
    const withCookie = await gate.open(post({ cookie: `session=${token}` }));
    expect(withCookie.refusal?.refusal).toEqual({
      error: "cross-site-request",
      reason: "missing-origin",
    });
    const bearer = await gate.open(post({ authorization: `Bearer ${token}` }));
    expect(bearer.refusal).toBeNull();
    expect(bearer.session?.userId).toBe("u1");
    const anonymous = await gate.open(post({ cookie: "theme=dark" }));
    expect(anonymous.refusal).toBeNull();
  });

  it("reads X-Forwarded-Host and -Proto only with trustedProxies", async () => {
    const behindProxy = { origin: "https://app.example.com", host: "10.0.0.5:3000" };
    const forwarded = { "x-forwarded-host": "app.example.com", "x-forwarded-proto": "https" };
    const plain = setup();
    expect((await plain.gate.open(post({ ...behindProxy, ...forwarded }))).refusal?.status).toBe(
      403,
    );
    const trusting = setup({ trustedProxies: 1 });
    expect((await trusting.gate.open(post({ ...behindProxy, ...forwarded }))).refusal).toBeNull();
  });

  it("accepts listed origins and hosts, and nothing with csrf: false", async () => {
    const { gate } = setup({ allowedOrigins: ["https://admin.example.com", "partner.test:8443"] });
    expect((await gate.open(post({ origin: "https://admin.example.com" }))).refusal).toBeNull();
    expect((await gate.open(post({ origin: "https://partner.test:8443" }))).refusal).toBeNull();
    expect((await gate.open(post({ origin: "https://shop.example.com" }))).refusal).not.toBeNull();
    const off = setup({ csrf: false });
    const state = await off.gate.open(post({ origin: "https://evil.test" }));
    expect(state.refusal).toBeNull();
  });

  it("refuses before any store call", async () => {
    let reads = 0;
    const inner = new MemoryStore();
    const store: SessionStore = {
      create: (r) => inner.create(r),
      get: (id) => {
        reads += 1;
        return inner.get(id);
      },
      update: (r, v) => inner.update(r, v),
      delete: (id) => inner.delete(id),
      listByUser: (u) => inner.listByUser(u),
      deleteByUser: (u, e) => inner.deleteByUser(u, e),
    };
    const { gate, sessions } = setup({}, store);
    const { token } = await sessions.create({ userId: "u1" });
    await gate.open(post({ cookie: `session=${token}`, origin: "https://evil.test" }));
    expect(reads).toBe(0);
  });
});

describe("the client address", () => {
  it("is the socket's by default, whatever X-Forwarded-For says", async () => {
    const { gate } = setup();
    const state = await gate.open(request({ "x-forwarded-for": "203.0.113.9" }));
    expect(state.client.ip).toBe("127.0.0.1");
  });

  it("is the N-th X-Forwarded-For entry from the right with N trusted proxies", () => {
    expect(clientAddress("10.0.0.1", "1.1.1.1, 203.0.113.9", 1)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", "1.1.1.1, 203.0.113.9, 10.0.0.2", 2)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", "203.0.113.9", 3)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", null, 1)).toBe("10.0.0.1");
    expect(clientAddress("10.0.0.1", "203.0.113.9", 0)).toBe("10.0.0.1");
    expect(clientAddress(undefined, "203.0.113.9", 0)).toBeUndefined();
  });

  it("reads an IPv4 client on a dual-stack socket as IPv4", () => {
    expect(clientAddress("::ffff:198.51.100.4", null, 0)).toBe("198.51.100.4");
    expect(clientAddress("2001:db8::1", null, 0)).toBe("2001:db8::1");
  });

  it("rejects a trustedProxies count that is not a small whole number", () => {
    const { sessions } = setup();
    for (const trustedProxies of [-1, 1.5, 100, Number.NaN]) {
      expect(() => createGate(sessions, { trustedProxies })).toThrow(TesseraConfigError);
    }
    expect(() => createGate(sessions, { csrf: false, allowedOrigins: [] })).toThrow(
      TesseraConfigError,
    );
    expect(() => createGate({} as never)).toThrow(TesseraConfigError);
  });
});

describe("reading the session", () => {
  it("reads a Node.js header object as it reads a header() reader", async () => {
    const { gate, sessions } = setup({ trustedProxies: 1 });
    const { token } = await sessions.create({ userId: "u1", client: { userAgent: CHROME } });
    const state = await gate.open({
      method: "GET",
      headers: {
        cookie: `session=${token}`,
        "user-agent": CHROME,
        "x-forwarded-for": ["203.0.113.9", "198.51.100.7"],
      },
      remoteAddress: "127.0.0.1",
    });
    expect(state.session?.userId).toBe("u1");
    // Repeated headers are joined, so the right-most proxy entry is still the one trusted.
    expect(state.client.ip).toBe("198.51.100.7");
    expect(readHeader({ headers: { accept: ["a", "b"] } }, "accept")).toBe("a, b");
    expect(readHeader({ header: (name) => (name === "host" ? "h" : null) }, "host")).toBe("h");
  });

  it("refuses request facts without any way to read headers", async () => {
    const { gate } = setup();
    await expect(gate.open({ method: "GET" })).rejects.toThrow(TesseraConfigError);
  });

  it("maps a store failure to 503 on the request's state as on the gate", async () => {
    const { gate } = setup();
    const state = await gate.open(request());
    expect(state.answerForError(new StoreUnavailableError("down"))?.status).toBe(503);
    expect(state.answerForError(new Error("bug"))).toBeNull();
  });

  it("remembers a helper's store failure as the request's failure, and only a store failure", async () => {
    const broken: SessionStore = new MemoryStore();
    broken.create = async () => {
      throw new StoreUnavailableError("down", { cause: new Error("connection reset") });
    };
    const answers: number[] = [];
    const { gate } = setup({ onRefusal: (answer) => answers.push(answer.status) }, broken);
    const state = await gate.open(request());
    expect(state.failure).toBeNull();
    await expect(state.login("u1")).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(state.failure?.status).toBe(503);
    expect(answers).toEqual([503]);
    const fine = await setup().gate.open(request());
    await expect(fine.login("")).rejects.toThrow();
    expect(fine.failure).toBeNull();
  });

  it("writes nothing for a valid session that needs no rotation", async () => {
    const { gate, sessions } = setup();
    const { token } = await sessions.create({ userId: "u1", client: { userAgent: CHROME } });
    const state = await gate.open(request({ cookie: `session=${token}`, "user-agent": CHROME }));
    expect(state.session?.userId).toBe("u1");
    expect(state.source).toBe("cookie");
    expect(state.token).toBe(token);
    expect(state.effects()).toBeNull();
  });

  it("sends a rotated cookie with Cache-Control: private, no-store", async () => {
    const { gate, sessions, clock } = setup();
    const { token } = await sessions.create({ userId: "u1" });
    clock.now += 61_000;
    const state = await gate.open(request({ cookie: `session=${token}` }));
    expect(state.token).not.toBe(token);
    expect(state.effects()).toEqual({
      cookies: [sessions.cookie.issue(state.token!, state.session!.expiresAt)],
      headers: { "cache-control": "private, no-store" },
    });
  });

  it("sends a bearer client's rotated token in tessera-token, not as its only credential", async () => {
    const { gate, sessions, clock } = setup();
    const { token } = await sessions.create({ userId: "u1" });
    clock.now += 61_000;
    const state = await gate.open(request({ authorization: `Bearer ${token}` }));
    expect(state.source).toBe("bearer");
    expect(state.effects()?.headers).toEqual({
      "cache-control": "private, no-store",
      "tessera-token": state.token,
    });
  });

  it("uses the valid one of several session cookies and clears none (cookie tossing)", async () => {
    const { gate, sessions } = setup();
    const { token } = await sessions.create({ userId: "u1" });
    const tossed = `${"a".repeat(24)}.${"b".repeat(32)}`;
    for (const cookie of [`session=${tossed}; session=${token}`, `session=${token}; session=x`]) {
      const state = await gate.open(request({ cookie }));
      expect(state.session?.userId).toBe("u1");
      expect(state.effects()).toBeNull();
    }
  });

  it("clears a dead cookie and says why, when it is the only one of its name", async () => {
    const { gate, sessions } = setup();
    const { session, token } = await sessions.create({ userId: "u1" });
    await sessions.revoke(session.id);
    const state = await gate.open(request({ cookie: `session=${token}` }));
    expect(state.session).toBeNull();
    expect(state.reason).toBe("not-found");
    expect(setCookieOf(state.effects())).toBe(sessions.cookie.blank());
    expect(state.require()?.refusal).toEqual({ error: "unauthenticated", reason: "not-found" });
    const junk = await gate.open(request({ cookie: "session=junk" }));
    expect(junk.reason).toBe("malformed");
    expect(setCookieOf(junk.effects())).toBe(sessions.cookie.blank());
  });

  it("clears no cookie when several of the name carry none valid, preferring a token's reason", async () => {
    const { gate, sessions } = setup();
    const { session, token } = await sessions.create({ userId: "u1" });
    await sessions.revoke(session.id);
    const state = await gate.open(request({ cookie: `session=junk; session=${token}` }));
    expect(state.session).toBeNull();
    expect(state.reason).toBe("not-found");
    // One Set-Cookie clears one cookie of the name, maybe the real one: none is sent.
    expect(state.effects()).toBeNull();
  });

  it("answers 503, never 'no session', when the store fails", async () => {
    const fail = () => Promise.reject(new Error("ECONNREFUSED"));
    const down = {
      create: fail,
      get: fail,
      update: fail,
      delete: fail,
      listByUser: fail,
      deleteByUser: fail,
    };
    const { gate } = setup({}, down);
    const state = await gate.open(
      request({ cookie: `session=${"a".repeat(24)}.${"b".repeat(32)}` }),
    );
    expect(state.refusal?.status).toBe(503);
    expect(state.refusal?.headers).toMatchObject({
      "retry-after": "5",
      "cache-control": "no-store",
    });
    expect(state.session).toBeNull();
    expect((await gate.open(request())).refusal).toBeNull(); // no token, no store call
  });
});

describe("the request helpers", () => {
  it("logs in: ends the session the request had, sets the new cookie", async () => {
    const { gate, sessions } = setup();
    const planted = await sessions.create({ userId: "mallory" });
    const state = await gate.open(request({ cookie: `session=${planted.token}` }));
    const created = await state.login("victim", { role: "member" });
    expect(created.session.userId).toBe("victim");
    expect(state.session?.data).toEqual({ role: "member" });
    expect(setCookieOf(state.effects())).toBe(
      sessions.cookie.serialize(created.token, created.session.expiresAt),
    );
    expect((await sessions.validate(planted.token)).ok).toBe(false);
    const byObject = await (await gate.open(request())).login({ userId: "bob" });
    expect(byObject.session.userId).toBe("bob");
  });

  it("logs out and logs out everywhere, clearing the cookie", async () => {
    const { gate, sessions } = setup();
    const laptop = await sessions.create({ userId: "alice" });
    const phone = await sessions.create({ userId: "alice" });
    const state = await gate.open(request({ cookie: `session=${laptop.token}` }));
    expect(await state.logoutEverywhere({ keepCurrent: true })).toBe(1);
    expect(state.effects()).toBeNull();
    expect((await sessions.validate(phone.token)).ok).toBe(false);
    expect(await state.logout()).toBe(true);
    expect(state.session).toBeNull();
    expect(setCookieOf(state.effects())).toBe(sessions.cookie.blank());
    expect(await state.logoutEverywhere()).toBe(0);
  });

  it("rotates on demand and writes the new token", async () => {
    const { gate, sessions } = setup();
    const { token } = await sessions.create({ userId: "u1" });
    const state = await gate.open(request({ cookie: `session=${token}` }));
    const rotated = await state.rotate();
    expect(rotated?.userId).toBe("u1");
    expect(state.token).not.toBe(token);
    expect(setCookieOf(state.effects())).toContain(state.token!);
  });

  it("steps up: a new secret, fresh again, and the new cookie", async () => {
    const { gate, sessions, clock } = setup();
    const { token } = await sessions.create({ userId: "u1" });
    clock.now += 11 * 60_000;
    const state = await gate.open(request({ cookie: `session=${token}` }));
    expect(state.require("fresh")?.refusal).toEqual({ error: "not-fresh" });
    const stepped = await state.reauthenticate();
    expect(stepped?.fresh).toBe(true);
    expect(state.require("fresh")).toBeNull();
    expect(state.token).not.toBe(token);
    expect(setCookieOf(state.effects())).toContain(state.token!);
  });

  it("resumes a session checked earlier without a store call", async () => {
    const { gate, sessions } = setup();
    const { session, token } = await sessions.create({ userId: "u1" });
    const state = gate.resume(
      { session, token, source: "cookie", reason: null },
      request({ "user-agent": CHROME }),
    );
    expect(state.session).toBe(session);
    expect(state.client.userAgent).toBe(CHROME);
    expect(state.effects()).toBeNull();
    expect(state.checked()).toEqual({
      session,
      token,
      source: "cookie",
      reason: null,
      guest: null,
    });
  });

  it("hands a guest over through checked() and resume, and a login upgrades it", async () => {
    const { gate, sessions } = setup();
    const { token } = await sessions.createGuest({ data: { cart: ["sku-1"] } });
    const opened = await gate.open(request({ cookie: `session=${token}` }));
    const checked = opened.checked();
    expect(checked).toMatchObject({ session: null, token, guest: { data: { cart: ["sku-1"] } } });
    const state = gate.resume(checked, request({ cookie: `session=${token}` }));
    expect(state.session).toBeNull();
    expect(state.token).toBeNull();
    expect(state.guest?.data).toEqual({ cart: ["sku-1"] });
    const { session } = await state.login("u1");
    expect(session.data).toEqual({ cart: ["sku-1"] });
    expect(await sessions.validate(token, undefined, { guests: true })).toMatchObject({
      ok: false,
    });
  });
});

describe("observing refusals", () => {
  it("reports every refusal to onRefusal without letting it change the answer", async () => {
    const seen: number[] = [];
    const { gate, sessions } = setup({
      onRefusal: (answer) => {
        seen.push(answer.status);
        throw new Error("a broken metrics sink");
      },
    });
    await gate.open(post({ origin: "https://evil.test", host: "app.test" }));
    const state = await gate.open(request());
    expect(state.require()?.status).toBe(401);
    expect(gate.answerForError(new StoreUnavailableError("down"))?.status).toBe(503);
    expect(gate.answerForError(new Error("app bug"))).toBeNull();
    const { token } = await sessions.create({ userId: "u1" });
    expect((await gate.open(request({ cookie: `session=${token}` }))).require()).toBeNull();
    expect(seen).toEqual([403, 401, 503]);
    expect(() => createGate(sessions, { onRefusal: "no" as never })).toThrow(TesseraConfigError);
  });
});

describe("answers", () => {
  it("are the same bytes for every refusal of a kind", async () => {
    const { gate } = setup();
    const a = await gate.open(post({ origin: "https://evil.test", host: "x" }));
    const b = await gate.open(post({ origin: "https://other.test", host: "y" }));
    expect(a.refusal).toEqual(b.refusal);
    expect(a.refusal?.body).toBe('{"error":"cross-site-request","reason":"cross-site"}');
    expect(a.refusal?.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  it("recognise a store failure by code, also from another copy of core", () => {
    const unavailable = answerForError(new StoreUnavailableError("down"));
    expect(unavailable?.status).toBe(503);
    expect(answerForError(new SessionConflictError("busy"))).toBe(unavailable);
    const foreign = Object.assign(new Error("down"), {
      name: "StoreUnavailableError",
      code: "store-unavailable",
    });
    expect(answerForError(foreign)).toBe(unavailable);
    expect(isTesseraError(foreign, "store-unavailable")).toBe(true);
    expect(answerForError(new InvalidArgumentError("bad"))).toBeNull();
    expect(answerForError(Object.assign(new Error("x"), { code: "conflict" }))).toBeNull();
    expect(answerForError("StoreUnavailableError")).toBeNull();
    expect(answerForError(null)).toBeNull();
  });
});

/** The session cookie an answer sets, as the `Set-Cookie` bytes every integration writes. */
function setCookieOf(effects: ResponseEffects | null): string | null {
  const first = effects?.cookies[0];
  return first ? serializeCookie(first) : null;
}
