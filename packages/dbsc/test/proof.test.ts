/** DBSC proofs as the draft allows them: ES256 and RS256, `typ: dbsc+jwt`, `jti`, optional `aud`. */
import { describe, expect, it } from "vitest";
import { readRefresh, readRegistration } from "../src/index.js";

const encoder = new TextEncoder();
const b64 = (bytes: Uint8Array | string) =>
  Buffer.from(typeof bytes === "string" ? encoder.encode(bytes) : bytes).toString("base64url");

type Alg = "ES256" | "RS256";

async function keyPair(alg: Alg) {
  const params =
    alg === "ES256"
      ? { name: "ECDSA", namedCurve: "P-256" }
      : {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        };
  const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const publicJwk =
    alg === "ES256"
      ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }
      : { kty: jwk.kty, n: jwk.n, e: jwk.e };
  const privateJwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { privateKey: pair.privateKey, jwk: publicJwk, privateJwk };
}

async function proof(
  key: Awaited<ReturnType<typeof keyPair>>,
  alg: Alg,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
) {
  const input = `${b64(JSON.stringify({ alg, typ: "dbsc+jwt", ...header }))}.${b64(JSON.stringify(payload))}`;
  const algorithm =
    alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" };
  const signature = await crypto.subtle.sign(algorithm, key.privateKey, encoder.encode(input));
  return `${input}.${b64(new Uint8Array(signature))}`;
}

describe("DBSC proofs", () => {
  for (const alg of ["ES256", "RS256"] as const) {
    it(`registers and refreshes with an ${alg} key, and refuses another key's refresh`, async () => {
      const key = await keyPair(alg);
      const registration = await readRegistration(
        await proof(key, alg, { jwk: key.jwk }, { jti: "c1" }),
      );
      if (!("key" in registration)) throw new Error(`refused: ${JSON.stringify(registration)}`);
      expect(registration.challenge).toBe("c1");
      expect(registration.key.alg).toBe(alg);
      expect(registration.key.jwk).toEqual(key.jwk);
      expect(registration.key.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await readRefresh(await proof(key, alg, {}, { jti: "c2" }), registration.key)).toEqual(
        { challenge: "c2" },
      );
      const other = await keyPair(alg);
      expect(
        await readRefresh(await proof(other, alg, {}, { jti: "c2" }), registration.key),
      ).toEqual({ refused: "wrong-key" });
    });
  }

  it("refuses what the draft does not allow", async () => {
    const key = await keyPair("ES256");
    const refused = { refused: "malformed-proof" };
    // A private member in the jwk header, no jwk, another typ, no jti, alg none.
    expect(
      await readRegistration(await proof(key, "ES256", { jwk: key.privateJwk }, { jti: "c" })),
    ).toEqual(refused);
    expect(await readRegistration(await proof(key, "ES256", {}, { jti: "c" }))).toEqual(refused);
    expect(
      await readRegistration(await proof(key, "ES256", { jwk: key.jwk, typ: "JWT" }, { jti: "c" })),
    ).toEqual(refused);
    expect(await readRegistration(await proof(key, "ES256", { jwk: key.jwk }, {}))).toEqual(
      refused,
    );
    const none = `${b64(JSON.stringify({ alg: "none", typ: "dbsc+jwt", jwk: key.jwk }))}.${b64(JSON.stringify({ jti: "c" }))}.`;
    expect(await readRegistration(none)).toEqual(refused);
    // An RS256 header over an EC key does not fit.
    expect(
      await readRegistration(
        await proof(key, "ES256", { jwk: key.jwk, alg: "RS256" }, { jti: "c" }),
      ),
    ).toEqual(refused);
  });

  it("checks aud when the proof has one, and the authorization the header carried", async () => {
    const key = await keyPair("ES256");
    const rules = {
      audience: (aud: string) => new URL(aud).pathname === "/tessera/dbsc/register",
      authorization: "ac",
    };
    const good = await proof(
      key,
      "ES256",
      { jwk: key.jwk },
      {
        jti: "c",
        aud: "https://example.com/tessera/dbsc/register",
        authorization: "ac",
      },
    );
    expect("key" in (await readRegistration(good, rules))).toBe(true);
    const elsewhere = await proof(
      key,
      "ES256",
      { jwk: key.jwk },
      {
        jti: "c",
        aud: "https://example.com/other",
        authorization: "ac",
      },
    );
    expect(await readRegistration(elsewhere, rules)).toEqual({ refused: "malformed-proof" });
    const noAuthorization = await proof(key, "ES256", { jwk: key.jwk }, { jti: "c" });
    expect(await readRegistration(noAuthorization, rules)).toEqual({ refused: "malformed-proof" });
  });
});
