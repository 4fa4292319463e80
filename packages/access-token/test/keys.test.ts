import { InvalidArgumentError, TesseraConfigError } from "@tessera/core";
import { describe, expect, it } from "vitest";
import {
  type AccessTokenAlgorithm,
  createAccessTokens,
  createVerifier,
  generateSigningKey,
} from "../src/index.js";

const base = { issuer: "https://auth.example.com", audience: "api" };
const session = { id: "s".repeat(24), userId: "alice" };

describe("generateSigningKey", () => {
  it.each([
    ["EdDSA", "OKP", "Ed25519"],
    ["ES256", "EC", "P-256"],
  ] as const)(
    "makes a private %s JWK with a kid that signs and verifies",
    async (alg, kty, crv) => {
      const key = await generateSigningKey(alg);
      expect(key).toMatchObject({ kty, crv, alg, use: "sig" });
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{12}$/);
      expect(typeof key.d).toBe("string");
      const tokens = createAccessTokens({ ...base, keys: [key] });
      const verifier = createVerifier({ ...base, jwks: tokens.jwks() });
      const result = await verifier.verify(await tokens.issue(session));
      expect(result.ok).toBe(true);
    },
  );

  it("makes a 256-bit HS256 secret", async () => {
    const key = await generateSigningKey("HS256", { kid: "shared-2025" });
    expect(key).toMatchObject({ kty: "oct", alg: "HS256", kid: "shared-2025" });
    expect(Buffer.from(key.k ?? "", "base64url").length).toBe(32);
  });

  it("gives every key its own kid", async () => {
    const kids = new Set(
      await Promise.all(Array.from({ length: 20 }, async () => (await generateSigningKey()).kid)),
    );
    expect(kids.size).toBe(20);
  });

  it("refuses algorithms it does not support", async () => {
    await expect(generateSigningKey("RS256" as AccessTokenAlgorithm)).rejects.toThrow(
      TesseraConfigError,
    );
    await expect(generateSigningKey("none" as AccessTokenAlgorithm)).rejects.toThrow(
      TesseraConfigError,
    );
  });
});

describe("jwks()", () => {
  it("publishes every asymmetric key, public members only, and never a secret", async () => {
    const ed = await generateSigningKey("EdDSA");
    const es = await generateSigningKey("ES256");
    const hs = await generateSigningKey("HS256");
    const tokens = createAccessTokens({ ...base, keys: [ed, es, hs] });
    const jwks = tokens.jwks();
    expect(jwks.keys.map((key) => key.kid)).toEqual([ed.kid, es.kid]);
    for (const key of jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(
        (key.kty === "EC"
          ? ["alg", "crv", "kid", "kty", "use", "x", "y"]
          : ["alg", "crv", "kid", "kty", "use", "x"]
        ).sort(),
      );
    }
    const text = JSON.stringify(jwks);
    expect(text).not.toContain(ed.d);
    expect(text).not.toContain(es.d);
    expect(text).not.toContain(hs.k);
    expect(text).not.toContain('"oct"');
  });

  it("keeps extra private members of an imported JWK out of the set", async () => {
    const key = { ...(await generateSigningKey("EdDSA")), p: "leak", dp: "leak" };
    const text = JSON.stringify(createAccessTokens({ ...base, keys: [key] }).jwks());
    expect(text).not.toContain("leak");
  });

  it("returns a copy: changing it does not change what is served", async () => {
    const tokens = createAccessTokens({ ...base, keys: [await generateSigningKey()] });
    tokens.jwks().keys[0]!.x = "tampered";
    expect(tokens.jwks().keys[0]!.x).not.toBe("tampered");
  });
});

describe("key configuration", () => {
  it("accepts a key as JSON text (straight from an environment variable)", async () => {
    const key = await generateSigningKey();
    const tokens = createAccessTokens({ ...base, keys: [JSON.stringify(key)] });
    expect(tokens.signingKeyId).toBe(key.kid);
    expect(tokens.algorithm).toBe("EdDSA");
  });

  it("refuses a signing key without its private part", async () => {
    const { d: _private, ...publicOnly } = await generateSigningKey();
    expect(() => createAccessTokens({ ...base, keys: [publicOnly] })).toThrow(/private part/);
  });

  it("refuses duplicate kids, missing kid or alg, and mismatched key types", async () => {
    const key = await generateSigningKey();
    const bad = (keys: unknown[]) => () => createAccessTokens({ ...base, keys: keys as never });
    expect(bad([key, { ...key }])).toThrow(/duplicate kid/);
    expect(bad([{ ...key, kid: undefined }])).toThrow(/kid/);
    expect(bad([{ ...key, kid: 'a"b' }])).toThrow(/kid/);
    expect(bad([{ ...key, alg: undefined }])).toThrow(/alg/);
    expect(bad([{ ...key, alg: "ES256" }])).toThrow(/ES256 needs/);
    expect(bad([{ ...key, crv: "Ed448" }])).toThrow(TesseraConfigError);
    expect(bad([{ ...key, use: "enc" }])).toThrow(/use/);
    expect(bad([])).toThrow(/non-empty/);
    expect(bad(["{not json"])).toThrow(/not JSON/);
  });

  it("refuses an HS256 secret shorter than 32 bytes", () => {
    const short = {
      kty: "oct",
      kid: "short",
      alg: "HS256",
      k: Buffer.alloc(16).toString("base64url"),
    };
    expect(() => createAccessTokens({ ...base, keys: [short as never] })).toThrow(/32 bytes/);
  });

  it("never puts key material in a configuration error", async () => {
    const key = await generateSigningKey();
    try {
      createAccessTokens({ ...base, keys: [{ ...key, crv: "P-256" }] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TesseraConfigError);
      expect(String((error as Error).message)).not.toContain(key.d);
    }
  });

  it("reports key material that is not a valid key as a configuration error on first use", async () => {
    const key = await generateSigningKey();
    const broken = { ...key, d: "AAAA" };
    const tokens = createAccessTokens({ ...base, keys: [broken] });
    await expect(tokens.issue(session)).rejects.toThrow(TesseraConfigError);
  });

  it("keeps InvalidArgumentError for bad calls, not bad configuration", async () => {
    const tokens = createAccessTokens({ ...base, keys: [await generateSigningKey()] });
    await expect(tokens.issue({ id: "", userId: "alice" })).rejects.toThrow(InvalidArgumentError);
  });
});
