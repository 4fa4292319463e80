import { createAdaptorServer } from "@hono/node-server";
import { listen } from "@tessera/test-kit";
import { accessTokenGuard, jwksEndpoint, tokenEndpoint, withAccessToken } from "../src/index.js";
import { describeHttpContract } from "./http-contract.js";

describeHttpContract("Web Request/Response", async ({ sessions, tokens, verifier, endpoint }) => {
  const peers = new WeakMap<Request, string | undefined>();
  const exchange = tokenEndpoint({
    sessions,
    tokens,
    ...endpoint,
    remoteAddress: (request) => peers.get(request),
  });
  const jwks = jwksEndpoint(tokens);
  const me = withAccessToken(
    verifier,
    (_request, claims) => Response.json({ sub: claims.sub, sid: claims.sid, role: claims["role"] }),
    { realm: "orders" },
  );
  const sensitive = accessTokenGuard(verifier, { checkRevocation: true, realm: "orders" });

  const server = createAdaptorServer({
    fetch: async (request, env: { incoming: { socket: { remoteAddress?: string } } }) => {
      const path = new URL(request.url).pathname;
      const client = {
        ip: env.incoming.socket.remoteAddress,
        userAgent: request.headers.get("user-agent") ?? undefined,
      };
      if (path === "/login") {
        const { session, token } = await sessions.create({
          userId: "alice",
          data: { role: "member" },
          client,
        });
        return Response.json(
          { token },
          { headers: { "set-cookie": sessions.cookie.serialize(token, session.expiresAt) } },
        );
      }
      if (path === "/logout") {
        const found = sessions.tokenFrom({ cookie: request.headers.get("cookie") });
        const id = found?.token.split(".")[0];
        if (id) await sessions.revoke(id);
        return new Response(null, { status: 204 });
      }
      peers.set(request, env.incoming.socket.remoteAddress);
      if (path === "/auth/token") return exchange(request);
      if (path === "/.well-known/jwks.json") return jwks(request);
      if (path === "/api/me") return me(request);
      if (path === "/api/pay") {
        const auth = await sensitive(request);
        return auth.ok ? Response.json({ paid: true, by: auth.claims.sub }) : auth.response;
      }
      return new Response("not found", { status: 404 });
    },
  });
  return listen(server as import("node:http").Server);
});
