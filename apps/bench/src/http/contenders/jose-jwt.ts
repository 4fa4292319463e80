/**
 * A stateless JWT session with jose: a signed token (HS256, ES256 or EdDSA, from the registry
 * entry's `options.alg`) in an HttpOnly cookie, verified on every request with the algorithm,
 * issuer and audience pinned. Nothing is stored, so nothing can be revoked before `exp`.
 */
import { parse, serialize } from "cookie";
import { type CryptoKey, generateKeyPair, jwtVerify, type KeyObject, SignJWT } from "jose";
import { defineContender } from "../contender.js";
import { authApp } from "../express-kit.js";

const issuer = "https://bench.tessera.test";
const audience = "bench";

export default defineContender(async (context) => {
  const alg = String(context.options.alg ?? "HS256");
  let signKey: CryptoKey | KeyObject | Uint8Array;
  let verifyKey: CryptoKey | KeyObject | Uint8Array;
  if (alg === "HS256") {
    signKey = verifyKey = crypto.getRandomValues(new Uint8Array(32));
  } else {
    const pair = await generateKeyPair(alg, alg === "EdDSA" ? { crv: "Ed25519" } : {});
    signKey = pair.privateKey;
    verifyKey = pair.publicKey;
  }
  return {
    app: authApp(async (req) => {
      const token = parse(req.headers.cookie ?? "").token;
      if (!token) return null;
      try {
        const { payload } = await jwtVerify(token, verifyKey, {
          algorithms: [alg],
          issuer,
          audience,
        });
        return payload.sub ?? null;
      } catch {
        return null;
      }
    }),
    async prepare() {
      const jwt = await new SignJWT({})
        .setProtectedHeader({ alg })
        .setSubject(context.userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        // Minted once for the whole run, which outlasts a usual 15-minute token: 2 hours, so
        // no round answers 401 for an expired token (`exp` is still checked every request).
        .setExpirationTime("2h")
        .sign(signKey);
      const setCookie = serialize("token", jwt, {
        httpOnly: true,
        secure: true,
        sameSite: "lax",
        path: "/",
        maxAge: 15 * 60,
      });
      return { setCookie, userId: context.userId, storedBytes: null };
    },
  };
});
