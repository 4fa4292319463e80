import {
  createSessions,
  MemoryStore,
  StoreUnavailableError,
  TesseraConfigError,
} from "@tessera/core";
import { exportSPKI, importJWK, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AccessTokenJwk,
  type AccessTokens,
  createAccessTokens,
  createVerifier,
  generateSigningKey,
  sessionRevocation,
  type Verifier,
} from "../src/index.js";
import { decodeJwt, part } from "./helpers.js";

const issuer = "https://auth.example.com";
const audience = "orders-api";
const T = 1_750_000_000;
const at = (seconds: number) => () => seconds * 1000;
const session = { id: "abcdefghijklmnopqrstuvwx", userId: "user_01HZX3" };

let edKey: AccessTokenJwk;
let tokens: AccessTokens;
let verifier: Verifier;
let token: string;

/** Signs arbitrary header and claims with the real private key: a token only the issuer could make. */
async function signRaw(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  crit?: Record<string, boolean>,
) {
  const key = await importJWK({ ...edKey }, "EdDSA");
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", ...header })
    .sign(key, crit ? { crit } : undefined);
}

function validClaims(overrides: Record<string, unknown> = {}) {
  return {
    iss: issuer,
    sub: "u1",
    aud: audience,
    iat: T,
    exp: T + 300,
    jti: "j1",
    sid: "s1",
    ...overrides,
  };
}

beforeAll(async () => {
  edKey = await generateSigningKey("EdDSA");
  tokens = createAccessTokens({ keys: [edKey], issuer, audience, now: at(T) });
  verifier = createVerifier({ jwks: tokens.jwks(), issuer, audience, now: at(T + 10) });
  token = await tokens.issue(session, { role: "member" });
});

describe("a valid token", () => {
  it("verifies, giving its claims and key id", async () => {
    const result = await verifier.verify(token);
    expect(result).toEqual({
      ok: true,
      keyId: edKey.kid,
      claims: expect.objectContaining({ sub: session.userId, sid: session.id, role: "member" }),
    });
  });

  it("verifies against the raw keys as well as the JWK Set", async () => {
    const fromKeys = createVerifier({ keys: [edKey], issuer, audience, now: at(T) });
    expect((await fromKeys.verify(token)).ok).toBe(true);
  });

  it("verifies when its aud lists this service among others", async () => {
    const multi = createAccessTokens({
      keys: [edKey],
      issuer,
      audience: ["billing", audience],
      now: at(T),
    });
    expect((await verifier.verify(await multi.issue(session))).ok).toBe(true);
  });
});

describe("tampering", () => {
  it("refuses a changed payload", async () => {
    const [header, , signature] = token.split(".");
    const forged = part({ ...decodeJwt(token).payload, sub: "admin" });
    expect(await verifier.verify(`${header}.${forged}.${signature}`)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("refuses a changed header", async () => {
    const [, payload, signature] = token.split(".");
    const forged = part({ ...decodeJwt(token).header, cty: "x" });
    expect(await verifier.verify(`${forged}.${payload}.${signature}`)).toMatchObject({
      reason: "bad-signature",
    });
  });

  it("refuses a changed signature", async () => {
    const [header, payload, signature = ""] = token.split(".");
    const flipped =
      signature.slice(0, 10) + (signature[10] === "A" ? "B" : "A") + signature.slice(11);
    expect(await verifier.verify(`${header}.${payload}.${flipped}`)).toMatchObject({
      reason: "bad-signature",
    });
  });

  it("refuses a token signed by another key under the same kid", async () => {
    const impostor = await generateSigningKey("EdDSA", { kid: edKey.kid });
    const forged = await createAccessTokens({
      keys: [impostor],
      issuer,
      audience,
      now: at(T),
    }).issue(session);
    expect(await verifier.verify(forged)).toMatchObject({ reason: "bad-signature" });
  });

  it.each([
    ["", "empty"],
    ["a.b", "two parts"],
    ["a.b.c.d", "four parts"],
    ["a.b.c", "parts that are not JSON"],
    [`${part([1])}.${part({})}.c2ln`, "a header that is not an object"],
    [`${"a".repeat(9000)}.b.c`, "oversized"],
  ])("refuses garbage as malformed (%s: %s)", async (input) => {
    expect(await verifier.verify(input)).toEqual({ ok: false, reason: "malformed" });
  });

  it("refuses non-string input as malformed", async () => {
    for (const input of [undefined, null, 42, {}, ["a"]]) {
      expect(await verifier.verify(input)).toEqual({ ok: false, reason: "malformed" });
    }
  });
});

describe("algorithm attacks", () => {
  it("refuses alg none, with or without a signature", async () => {
    const claims = part(validClaims());
    const header = part({ alg: "none", kid: edKey.kid, typ: "at+jwt" });
    expect((await verifier.verify(`${header}.${claims}.`)).ok).toBe(false);
    expect(await verifier.verify(`${header}.${claims}.c2ln`)).toMatchObject({
      reason: "disallowed-algorithm",
    });
  });

  it("refuses an HS256 token whose secret is the public key (as raw bytes, JWK text or PEM)", async () => {
    const publicJwk = tokens.jwks().keys[0]!;
    const spki = await exportSPKI((await importJWK({ ...publicJwk }, "EdDSA")) as CryptoKey);
    const secrets = [
      Buffer.from(publicJwk.x, "base64url"),
      Buffer.from(JSON.stringify(publicJwk)),
      Buffer.from(spki),
      Buffer.from(publicJwk.x),
    ];
    for (const secret of secrets) {
      const forged = await new SignJWT(validClaims({ iat: T, exp: T + 300 }))
        .setProtectedHeader({ alg: "HS256", kid: edKey.kid, typ: "at+jwt" })
        .sign(new Uint8Array(secret));
      expect(await verifier.verify(forged)).toEqual({ ok: false, reason: "disallowed-algorithm" });
    }
  });

  it("pins each key to its own algorithm even when HS256 is accepted for another key", async () => {
    const hsKey = await generateSigningKey("HS256");
    const mixed = createVerifier({ keys: [hsKey, edKey], issuer, audience, now: at(T) });
    expect(mixed.algorithms).toEqual(["HS256", "EdDSA"]);
    const publicX = Buffer.from(tokens.jwks().keys[0]!.x, "base64url");
    const forged = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: "HS256", kid: edKey.kid, typ: "at+jwt" })
      .sign(new Uint8Array(publicX));
    expect(await mixed.verify(forged)).toEqual({ ok: false, reason: "disallowed-algorithm" });
    // The HS256 kid with the public key as secret: the real secret differs.
    const forgedUnderHsKid = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: "HS256", kid: hsKey.kid, typ: "at+jwt" })
      .sign(new Uint8Array(publicX));
    expect(await mixed.verify(forgedUnderHsKid)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses an algorithm swap to ES256 on an EdDSA key", async () => {
    const esKey = await generateSigningKey("ES256", { kid: edKey.kid });
    const forged = await createAccessTokens({ keys: [esKey], issuer, audience, now: at(T) }).issue(
      session,
    );
    expect(await verifier.verify(forged)).toMatchObject({ reason: "disallowed-algorithm" });
  });

  it("refuses HS256 altogether when the verifier reads a JWK Set", async () => {
    expect(verifier.algorithms).toEqual(["EdDSA"]);
    const hsKey = await generateSigningKey("HS256");
    const forged = await createAccessTokens({ keys: [hsKey], issuer, audience, now: at(T) }).issue(
      session,
    );
    expect(await verifier.verify(forged)).toMatchObject({ reason: "disallowed-algorithm" });
  });
});

describe("headers that would let the token choose its key", () => {
  it("ignores nothing: an embedded jwk is refused even when it is the right key", async () => {
    const forged = await signRaw(
      { kid: edKey.kid, typ: "at+jwt", jwk: tokens.jwks().keys[0] },
      validClaims(),
    );
    expect(await verifier.verify(forged)).toEqual({ ok: false, reason: "unsupported-header" });
  });

  it.each([
    ["jku", "https://attacker.example/jwks.json"],
    ["x5u", "https://attacker.example/cert.pem"],
    ["x5c", ["MIIB"]],
    ["zip", "DEF"],
  ])("refuses a token with a %s header", async (name, value) => {
    const forged = await signRaw({ kid: edKey.kid, typ: "at+jwt", [name]: value }, validClaims());
    expect(await verifier.verify(forged)).toEqual({ ok: false, reason: "unsupported-header" });
  });

  it("refuses a token with a crit header, even one naming an extension jose understands", async () => {
    const extension = await signRaw(
      { kid: edKey.kid, typ: "at+jwt", crit: ["x-tessera"], "x-tessera": 1 },
      validClaims(),
      { "x-tessera": true },
    );
    expect(await verifier.verify(extension)).toEqual({ ok: false, reason: "unsupported-header" });
    const b64 = await signRaw(
      { kid: edKey.kid, typ: "at+jwt", crit: ["b64"], b64: true },
      validClaims(),
    );
    expect(await verifier.verify(b64)).toEqual({ ok: false, reason: "unsupported-header" });
  });

  it("refuses a JWT of another type (an ID token signed by the same key)", async () => {
    for (const typ of [undefined, "JWT", "id_token+jwt"]) {
      const forged = await signRaw({ kid: edKey.kid, ...(typ ? { typ } : {}) }, validClaims());
      expect(await verifier.verify(forged)).toEqual({ ok: false, reason: "unsupported-header" });
    }
    const mediaType = await signRaw({ kid: edKey.kid, typ: "application/at+jwt" }, validClaims());
    expect((await verifier.verify(mediaType)).ok).toBe(true);
  });

  it("refuses an unknown or missing kid", async () => {
    const unknown = await signRaw({ kid: "not-a-key", typ: "at+jwt" }, validClaims());
    expect(await verifier.verify(unknown)).toEqual({ ok: false, reason: "unknown-key" });
    const missing = await signRaw({ typ: "at+jwt" }, validClaims());
    expect(await verifier.verify(missing)).toEqual({ ok: false, reason: "unknown-key" });
  });
});

describe("time", () => {
  // Issued at T, expires at T + 300; the default tolerance is 30 seconds.
  const verifyAt = (seconds: number, clockTolerance?: number) =>
    createVerifier({
      jwks: tokens.jwks(),
      issuer,
      audience,
      clockTolerance,
      now: at(seconds),
    }).verify(token);

  it("accepts a token one second inside the skew after exp and refuses it one second outside", async () => {
    expect((await verifyAt(T + 300 + 29)).ok).toBe(true);
    expect(await verifyAt(T + 300 + 31)).toEqual({ ok: false, reason: "expired" });
  });

  it("accepts a token issued one second inside the skew ahead and refuses one outside", async () => {
    expect((await verifyAt(T - 29)).ok).toBe(true);
    expect(await verifyAt(T - 31)).toEqual({ ok: false, reason: "not-yet-valid" });
  });

  it("applies a custom tolerance on both edges", async () => {
    expect((await verifyAt(T + 300 - 1, 0)).ok).toBe(true);
    expect(await verifyAt(T + 300 + 1, 0)).toMatchObject({ reason: "expired" });
    expect(await verifyAt(T - 1, 0)).toMatchObject({ reason: "not-yet-valid" });
  });

  it("honours nbf when a token carries one", async () => {
    const future = await signRaw({ kid: edKey.kid, typ: "at+jwt" }, validClaims({ nbf: T + 100 }));
    expect(await verifier.verify(future)).toEqual({ ok: false, reason: "not-yet-valid" });
  });
});

describe("claims", () => {
  it("refuses another issuer or audience", async () => {
    const elsewhere = createVerifier({
      jwks: tokens.jwks(),
      issuer: "https://other.example",
      audience,
      now: at(T),
    });
    expect(await elsewhere.verify(token)).toEqual({ ok: false, reason: "wrong-issuer" });
    const otherService = createVerifier({
      jwks: tokens.jwks(),
      issuer,
      audience: "billing",
      now: at(T),
    });
    expect(await otherService.verify(token)).toEqual({ ok: false, reason: "wrong-audience" });
  });

  it.each(["sub", "sid", "jti", "iat", "exp"])("requires %s", async (claim) => {
    const claims: Record<string, unknown> = validClaims();
    delete claims[claim];
    const forged = await signRaw({ kid: edKey.kid, typ: "at+jwt" }, claims);
    expect(await verifier.verify(forged)).toEqual({ ok: false, reason: "invalid-claims" });
  });

  it("requires iss and aud", async () => {
    const noIss: Record<string, unknown> = validClaims();
    delete noIss["iss"];
    const noAud: Record<string, unknown> = validClaims();
    delete noAud["aud"];
    const sign = (claims: Record<string, unknown>) =>
      signRaw({ kid: edKey.kid, typ: "at+jwt" }, claims);
    expect(await verifier.verify(await sign(noIss))).toMatchObject({ reason: "wrong-issuer" });
    expect(await verifier.verify(await sign(noAud))).toMatchObject({ reason: "wrong-audience" });
  });

  it.each([
    ["sub", 42],
    ["sid", ""],
    ["jti", { id: 1 }],
    ["iat", "now"],
    ["exp", T - 1],
  ])("refuses a token whose %s is %j", async (claim, value) => {
    const forged = await signRaw(
      { kid: edKey.kid, typ: "at+jwt" },
      validClaims({ [claim]: value }),
    );
    expect(await verifier.verify(forged)).toEqual({ ok: false, reason: "invalid-claims" });
  });
});

describe("revocation", () => {
  it("refuses the token of a revoked session once isRevoked is used", async () => {
    const sessions = createSessions({ store: new MemoryStore() });
    const { session: live } = await sessions.create({ userId: "alice" });
    const issued = await createAccessTokens({ keys: [edKey], issuer, audience }).issue(live);
    const guarded = createVerifier({
      jwks: tokens.jwks(),
      issuer,
      audience,
      isRevoked: sessionRevocation(sessions),
    });

    expect((await guarded.verify(issued, { checkRevocation: true })).ok).toBe(true);
    await sessions.revoke(live.id);
    // Without the check the token lives out its few minutes: that is the hybrid model's trade.
    expect((await guarded.verify(issued)).ok).toBe(true);
    expect(await guarded.verify(issued, { checkRevocation: true })).toEqual({
      ok: false,
      reason: "revoked",
    });
  });

  it("treats a session of another user as revoked", async () => {
    const sessions = createSessions({ store: new MemoryStore() });
    const { session: bobs } = await sessions.create({ userId: "bob" });
    const check = sessionRevocation(sessions);
    expect(await check(bobs.id, { sub: "alice" } as never)).toBe(true);
    expect(await check(bobs.id, { sub: "bob" } as never)).toBe(false);
  });

  it("fails closed: a hook that does not answer false refuses", async () => {
    const odd = createVerifier({
      jwks: tokens.jwks(),
      issuer,
      audience,
      now: at(T),
      isRevoked: () => undefined as never,
    });
    expect(await odd.verify(token, { checkRevocation: true })).toMatchObject({ reason: "revoked" });
  });

  it("rejects with StoreUnavailableError when the check cannot be made", async () => {
    const broken = createVerifier({
      jwks: tokens.jwks(),
      issuer,
      audience,
      now: at(T),
      isRevoked: () => Promise.reject(new Error("ECONNREFUSED")),
    });
    await expect(broken.verify(token, { checkRevocation: true })).rejects.toThrow(
      StoreUnavailableError,
    );
  });

  it("refuses to skip a requested check that was never configured", async () => {
    await expect(verifier.verify(token, { checkRevocation: true })).rejects.toThrow(
      TesseraConfigError,
    );
  });
});

describe("key rotation", () => {
  it("keeps old tokens valid while the old key is published, and refuses them once it is removed", async () => {
    const oldKey = await generateSigningKey("EdDSA");
    const newKey = await generateSigningKey("EdDSA");
    const clock = at(T);
    const before = createAccessTokens({ keys: [oldKey], issuer, audience, now: clock });
    const oldToken = await before.issue(session);

    // Step 1: publish the new key (the old one still signs).
    const published = createAccessTokens({ keys: [oldKey, newKey], issuer, audience, now: clock });
    expect(published.signingKeyId).toBe(oldKey.kid);
    expect(published.jwks().keys.map((k) => k.kid)).toEqual([oldKey.kid, newKey.kid]);

    // Step 2: the new key signs; the old one stays, public part only, for verification.
    const { d: _private, ...oldPublic } = oldKey;
    const switched = createAccessTokens({
      keys: [newKey, oldPublic],
      issuer,
      audience,
      now: clock,
    });
    const newToken = await switched.issue(session);
    const during = createVerifier({ jwks: switched.jwks(), issuer, audience, now: clock });
    expect((await during.verify(oldToken)).ok).toBe(true);
    expect(await during.verify(newToken)).toMatchObject({ ok: true, keyId: newKey.kid });

    // Step 3: after every old token has expired, the old key goes.
    const after = createAccessTokens({ keys: [newKey], issuer, audience, now: clock });
    const retired = createVerifier({ jwks: after.jwks(), issuer, audience, now: clock });
    expect(await retired.verify(oldToken)).toEqual({ ok: false, reason: "unknown-key" });
    expect((await retired.verify(newToken)).ok).toBe(true);
  });

  it("rotates an HS256 secret the same way with keys", async () => {
    const oldSecret = await generateSigningKey("HS256");
    const newSecret = await generateSigningKey("HS256");
    const oldToken = await createAccessTokens({ keys: [oldSecret], issuer, audience }).issue(
      session,
    );
    const both = createVerifier({ keys: [newSecret, oldSecret], issuer, audience });
    expect((await both.verify(oldToken)).ok).toBe(true);
    const newOnly = createVerifier({ keys: [newSecret], issuer, audience });
    expect(await newOnly.verify(oldToken)).toEqual({ ok: false, reason: "unknown-key" });
  });
});

describe("configuration", () => {
  it("needs exactly one key source", () => {
    expect(() => createVerifier({ issuer, audience })).toThrow(/exactly one/);
    expect(() => createVerifier({ issuer, audience, jwks: tokens.jwks(), keys: [edKey] })).toThrow(
      /exactly one/,
    );
  });

  it("refuses a JWK Set that holds a private key or a secret", async () => {
    expect(() => createVerifier({ issuer, audience, jwks: { keys: [edKey] } })).toThrow(
      /public key/,
    );
    const hs = await generateSigningKey("HS256");
    expect(() => createVerifier({ issuer, audience, jwks: { keys: [hs] } })).toThrow(/public key/);
  });

  it("refuses none, RS256, or an algorithm it has no key for", () => {
    const jwks = tokens.jwks();
    expect(() => createVerifier({ issuer, audience, jwks, algorithms: ["none" as never] })).toThrow(
      TesseraConfigError,
    );
    expect(() =>
      createVerifier({ issuer, audience, jwks, algorithms: ["RS256" as never] }),
    ).toThrow(TesseraConfigError);
    expect(() => createVerifier({ issuer, audience, jwks, algorithms: ["HS256"] })).toThrow(
      /no key/,
    );
    expect(() =>
      createVerifier({
        issuer,
        audience,
        jwksUrl: "https://a.example/jwks",
        algorithms: ["HS256"],
      }),
    ).toThrow(/no key/);
  });

  it("refuses a clock tolerance out of range and a bad jwksUrl", () => {
    const jwks = tokens.jwks();
    expect(() => createVerifier({ issuer, audience, jwks, clockTolerance: -1 })).toThrow(
      /clockTolerance/,
    );
    expect(() => createVerifier({ issuer, audience, jwks, clockTolerance: 3600 })).toThrow(
      /clockTolerance/,
    );
    expect(() => createVerifier({ issuer, audience, jwksUrl: "not a url" })).toThrow(/jwksUrl/);
    expect(() => createVerifier({ issuer, audience, jwksUrl: "file:///etc/jwks.json" })).toThrow(
      /jwksUrl/,
    );
  });

  it("refuses an http: jwksUrl off loopback unless allowInsecureJwksUrl says so", () => {
    for (const jwksUrl of [
      "http://auth.example.com/.well-known/jwks.json",
      "http://10.0.0.5/jwks",
      "http://[2001:db8::1]/jwks",
      "http://localhost.evil.example/jwks",
      "http://127.0.0.1.nip.io/jwks",
    ]) {
      const error = (() => {
        try {
          createVerifier({ issuer, audience, jwksUrl });
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, jwksUrl).toBeInstanceOf(TesseraConfigError);
      expect((error as Error).message).toMatch(/jwksUrl must be https/);
    }
    for (const jwksUrl of [
      "http://localhost:8080/jwks",
      "http://127.0.0.1:9000/jwks",
      "http://127.1.2.3/jwks",
      "http://[::1]:9000/jwks",
      "https://auth.example.com/jwks",
    ]) {
      expect(() => createVerifier({ issuer, audience, jwksUrl }), jwksUrl).not.toThrow();
    }
    expect(() =>
      createVerifier({
        issuer,
        audience,
        jwksUrl: "http://keys.mesh.internal/jwks",
        allowInsecureJwksUrl: true,
      }),
    ).not.toThrow();
    expect(() =>
      createVerifier({
        issuer,
        audience,
        jwksUrl: "http://keys.mesh.internal/jwks",
        allowInsecureJwksUrl: "yes" as never,
      }),
    ).toThrow(TesseraConfigError);
  });
});
