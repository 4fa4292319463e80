import { createServer, type Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { StoreUnavailableError } from "@tessera/core";
import { listen } from "@tessera/test-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AccessTokenJwk,
  type AccessTokens,
  accessTokenGuard,
  createAccessTokens,
  createVerifier,
  generateSigningKey,
  jwksEndpoint,
  type VerifierOptions,
} from "../src/index.js";

const issuer = "https://auth.example.com";
const audience = "orders-api";
const session = { id: "abcdefghijklmnopqrstuvwx", userId: "alice" };

/** A real issuer serving its JWK Set over HTTP; `current` can be swapped to rotate keys. */
describe("jwksUrl: the key set served by the issuer over HTTP", () => {
  let oldKey: AccessTokenJwk;
  let newKey: AccessTokenJwk;
  let current: AccessTokens;
  let fetches: number;
  let jwksUrl: string;
  let close: () => Promise<void>;

  const verifierFor = (options: Partial<VerifierOptions> = {}) =>
    createVerifier({ jwksUrl, issuer, audience, ...options });

  beforeEach(async () => {
    oldKey = await generateSigningKey("EdDSA");
    newKey = await generateSigningKey("ES256");
    current = createAccessTokens({ keys: [oldKey], issuer, audience });
    fetches = 0;
    const server = createAdaptorServer({
      fetch: (request) => {
        fetches++;
        return jwksEndpoint(current)(request);
      },
    }) as Server;
    const listening = await listen(server);
    jwksUrl = `${listening.url}/.well-known/jwks.json`;
    close = listening.close;
  });

  afterEach(() => close());

  it("verifies tokens against the fetched set and caches it", async () => {
    const verifier = verifierFor();
    const token = await current.issue(session);
    expect(await verifier.verify(token)).toMatchObject({ ok: true, keyId: oldKey.kid });
    expect(await verifier.verify(await current.issue(session))).toMatchObject({ ok: true });
    expect(fetches).toBe(1);
  });

  it("finds a key published after it started, by fetching again on an unknown kid", async () => {
    const verifier = verifierFor({ jwksCooldown: 0 });
    const oldToken = await current.issue(session);
    expect((await verifier.verify(oldToken)).ok).toBe(true);
    current = createAccessTokens({ keys: [newKey, oldKey], issuer, audience }); // rotation
    const newToken = await current.issue(session);
    expect(await verifier.verify(newToken)).toMatchObject({ ok: true, keyId: newKey.kid });
    expect(await verifier.verify(oldToken)).toMatchObject({ ok: true, keyId: oldKey.kid });
    expect(fetches).toBe(2);
  });

  it("stops accepting the old key once the issuer drops it and the cache has aged", async () => {
    const verifier = verifierFor({ jwksMaxAge: 0 });
    const oldToken = await current.issue(session);
    expect((await verifier.verify(oldToken)).ok).toBe(true);
    current = createAccessTokens({ keys: [newKey], issuer, audience });
    expect(await verifier.verify(oldToken)).toEqual({ ok: false, reason: "unknown-key" });
    expect((await verifier.verify(await current.issue(session))).ok).toBe(true);
  });

  it("does not let unknown kids make it fetch again within the cooldown", async () => {
    const verifier = verifierFor();
    expect((await verifier.verify(await current.issue(session))).ok).toBe(true);
    const stranger = createAccessTokens({
      keys: [await generateSigningKey("EdDSA")],
      issuer,
      audience,
    });
    for (let i = 0; i < 5; i++) {
      expect(await verifier.verify(await stranger.issue(session))).toEqual({
        ok: false,
        reason: "unknown-key",
      });
    }
    expect(fetches).toBe(1);
  });

  it("rejects with StoreUnavailableError, and the guard answers 503, when the set cannot be had", async () => {
    const token = await current.issue(session);
    const failing = createServer((_req, res) => {
      res.statusCode = 500;
      res.end("oops");
    });
    const broken = await listen(failing);
    try {
      const verifier = createVerifier({ jwksUrl: `${broken.url}/jwks`, issuer, audience });
      await expect(verifier.verify(token)).rejects.toThrow(StoreUnavailableError);
      const guard = accessTokenGuard(verifier);
      const outcome = await guard(
        new Request("http://service.test/api", { headers: { authorization: `Bearer ${token}` } }),
      );
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.response.status).toBe(503);
    } finally {
      await broken.close();
    }
    const gone = await listen(createServer());
    const goneUrl = `${gone.url}/jwks`;
    await gone.close(); // nothing listens there any more
    const unreachable = createVerifier({ jwksUrl: goneUrl, issuer, audience });
    await expect(unreachable.verify(token)).rejects.toThrow(StoreUnavailableError);
  });

  it("never fetches for a token refused before its key is needed", async () => {
    const verifier = verifierFor();
    expect(await verifier.verify("not.a.token")).toMatchObject({ ok: false });
    expect(fetches).toBe(0);
  });

  it("answers HEAD without a body and refuses other methods", async () => {
    const head = await fetch(jwksUrl, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await fetch(jwksUrl, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});
