import {
  createSessions,
  InvalidArgumentError,
  MemoryStore,
  TesseraConfigError,
} from "@tessera/core";
import { describe, expect, it } from "vitest";
import {
  type AccessTokenAlgorithm,
  createAccessTokens,
  createVerifier,
  generateSigningKey,
  RESERVED_CLAIMS,
} from "../src/index.js";
import { decodeJwt } from "./helpers.js";

const issuer = "https://auth.example.com";
const audience = "orders-api";
const T = 1_750_000_000; // a fixed clock, in seconds
const session = { id: "abcdefghijklmnopqrstuvwx", userId: "user_01HZX3" };

describe("issue", () => {
  it("writes sub, sid, iat, exp, iss, aud and jti, with kid and typ in the header", async () => {
    const key = await generateSigningKey("EdDSA");
    const tokens = createAccessTokens({ keys: [key], issuer, audience, now: () => T * 1000 });
    const { header, payload } = decodeJwt(await tokens.issue(session));
    expect(header).toEqual({ alg: "EdDSA", kid: key.kid, typ: "at+jwt" });
    expect(payload).toEqual({
      iss: issuer,
      sub: session.userId,
      aud: audience,
      iat: T,
      exp: T + 300,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
      sid: session.id,
    });
  });

  it("lasts 5 minutes by default and `ttl` seconds when set", async () => {
    const keys = [await generateSigningKey()];
    const now = () => T * 1000 + 999; // sub-second time rounds down
    const short = createAccessTokens({ keys, issuer, audience, now, ttl: 60 });
    expect(decodeJwt(await short.issue(session)).payload.exp).toBe(T + 60);
    const issued = await createAccessTokens({ keys, issuer, audience, now }).issueWithExpiry(
      session,
    );
    expect(issued.expiresIn).toBe(300);
    expect(issued.expiresAt).toEqual(new Date((T + 300) * 1000));
    expect(issued.claims.exp).toBe(T + 300);
  });

  it("never outlives the session it comes from", async () => {
    const tokens = createAccessTokens({
      keys: [await generateSigningKey()],
      issuer,
      audience,
      now: () => T * 1000,
    });
    const ending = { ...session, expiresAt: new Date((T + 42) * 1000) };
    expect(decodeJwt(await tokens.issue(ending)).payload.exp).toBe(T + 42);
    const ended = { ...session, expiresAt: new Date(T * 1000) };
    await expect(tokens.issue(ended)).rejects.toThrow(InvalidArgumentError);
  });

  it("takes a core session as it is", async () => {
    const sessions = createSessions({ store: new MemoryStore() });
    const { session: live } = await sessions.create({ userId: "alice" });
    const tokens = createAccessTokens({ keys: [await generateSigningKey()], issuer, audience });
    const { payload } = decodeJwt(await tokens.issue(live));
    expect(payload.sub).toBe("alice");
    expect(payload.sid).toBe(live.id);
  });

  it("gives every token its own jti", async () => {
    const tokens = createAccessTokens({ keys: [await generateSigningKey()], issuer, audience });
    const ids = new Set<unknown>();
    for (let i = 0; i < 50; i++) ids.add(decodeJwt(await tokens.issue(session)).payload.jti);
    expect(ids.size).toBe(50);
  });

  it.each(["ES256", "HS256"] as AccessTokenAlgorithm[])(
    "signs with %s when that key is first",
    async (alg) => {
      const key = await generateSigningKey(alg);
      const tokens = createAccessTokens({ keys: [key], issuer, audience });
      const token = await tokens.issue(session);
      expect(decodeJwt(token).header.alg).toBe(alg);
      const verifier = createVerifier({ keys: [key], issuer, audience });
      expect(await verifier.verify(token)).toMatchObject({ ok: true, keyId: key.kid });
    },
  );

  it("writes several audiences as an array", async () => {
    const tokens = createAccessTokens({
      keys: [await generateSigningKey()],
      issuer,
      audience: ["orders-api", "billing-api"],
    });
    expect(decodeJwt(await tokens.issue(session)).payload.aud).toEqual([
      "orders-api",
      "billing-api",
    ]);
  });
});

describe("extra claims", () => {
  it("are carried next to the reserved ones", async () => {
    const tokens = createAccessTokens({ keys: [await generateSigningKey()], issuer, audience });
    const { payload } = decodeJwt(
      await tokens.issue(session, { role: "admin", scope: "orders:read" }),
    );
    expect(payload).toMatchObject({ role: "admin", scope: "orders:read", sub: session.userId });
  });

  it.each([...RESERVED_CLAIMS])("cannot override the reserved claim %s", async (claim) => {
    const tokens = createAccessTokens({ keys: [await generateSigningKey()], issuer, audience });
    await expect(tokens.issue(session, { [claim]: "attacker" })).rejects.toThrow(
      InvalidArgumentError,
    );
  });

  it("are refused past 1 KiB of JSON, and when not a JSON object", async () => {
    const tokens = createAccessTokens({ keys: [await generateSigningKey()], issuer, audience });
    await expect(tokens.issue(session, { blob: "x".repeat(1100) })).rejects.toThrow(/1024 bytes/);
    await expect(tokens.issue(session, [] as never)).rejects.toThrow(InvalidArgumentError);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    await expect(tokens.issue(session, cyclic)).rejects.toThrow(InvalidArgumentError);
  });
});

describe("token size", () => {
  it.each([
    ["EdDSA", 400],
    ["ES256", 400],
    ["HS256", 360],
  ] as const)("a %s token for a typical session stays under %i bytes", async (alg, budget) => {
    const tokens = createAccessTokens({ keys: [await generateSigningKey(alg)], issuer, audience });
    const token = await tokens.issue(session);
    expect(token.length).toBeLessThan(budget);
  });
});

describe("configuration", () => {
  it("refuses a missing issuer or audience and a ttl out of range", async () => {
    const keys = [await generateSigningKey()];
    const make = (options: Record<string, unknown>) => () =>
      createAccessTokens({ keys, issuer, audience, ...options });
    expect(make({ issuer: "" })).toThrow(TesseraConfigError);
    expect(make({ audience: [] })).toThrow(TesseraConfigError);
    expect(make({ audience: undefined })).toThrow(TesseraConfigError);
    expect(make({ ttl: 0 })).toThrow(/ttl/);
    expect(make({ ttl: 1.5 })).toThrow(/ttl/);
    expect(make({ ttl: 86_401 })).toThrow(/ttl/);
    expect(make({ ttl: Number.NaN })).toThrow(/ttl/);
  });
});
