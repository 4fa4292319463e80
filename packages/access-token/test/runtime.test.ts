import { runInEdgeRuntime } from "@tessera/edge-test-kit";
import { describe, expect, it } from "vitest";

/**
 * The main entry may run on edge runtimes: bundled for the "neutral" platform it must need no Node
 * built-in, and it must issue and verify inside an edge-runtime VM (Web Crypto, no `process`,
 * no `Buffer`, no `require`), for every algorithm.
 */
describe("runtime neutrality", () => {
  it("bundles without Node built-ins and issues and verifies every algorithm in an edge VM", async () => {
    const outcome = await runInEdgeRuntime({
      entry: new URL("../src/index.ts", import.meta.url),
      globalName: "AccessToken",
      script: `
        const { createAccessTokens, createVerifier, generateSigningKey, jwksEndpoint, withAccessToken } = AccessToken;
        const out = {};
        for (const alg of ["EdDSA", "ES256", "HS256"]) {
          const key = await generateSigningKey(alg);
          const tokens = createAccessTokens({ keys: [key], issuer: "https://edge.example", audience: "api" });
          const token = await tokens.issue({ id: "edge-session", userId: "edge-user" });
          const verifier = alg === "HS256"
            ? createVerifier({ keys: [key], issuer: "https://edge.example", audience: "api" })
            : createVerifier({ jwks: tokens.jwks(), issuer: "https://edge.example", audience: "api" });
          const good = await verifier.verify(token);
          const bad = await verifier.verify(token.slice(0, -4) + "AAAA");
          out[alg] = [good.ok && good.claims.sub, bad.reason];
        }
        const key = await generateSigningKey();
        const tokens = createAccessTokens({ keys: [key], issuer: "https://edge.example", audience: "api" });
        const jwks = await jwksEndpoint(tokens)(new Request("https://edge.example/jwks")).json();
        const handler = withAccessToken(
          createVerifier({ jwks, issuer: "https://edge.example", audience: "api" }),
          (request, claims) => new Response(claims.sid),
        );
        const token = await tokens.issue({ id: "edge-session", userId: "edge-user" });
        const response = await handler(new Request("https://edge.example/api", { headers: { authorization: "Bearer " + token } }));
        out.handler = [response.status, await response.text()];
        return out;
      `,
    });
    expect(outcome).toEqual({
      EdDSA: ["edge-user", "bad-signature"],
      ES256: ["edge-user", "bad-signature"],
      HS256: ["edge-user", "bad-signature"],
      handler: [200, "edge-session"],
    });
  });
});
