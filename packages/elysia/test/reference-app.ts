/**
 * The reference app of @tessera/test-kit (REFERENCE_ROUTES) on Elysia, for Node.js (in the test
 * process, `@elysiajs/node`) and Bun (bun-server.ts, a Bun child process) alike.
 */
import type { Sessions } from "@tessera/core";
import { Elysia } from "elysia";
import { requireFresh, requireSession, type TesseraOptions, tessera } from "../src/index.js";

export function referenceApp(
  sessions: Sessions,
  options: TesseraOptions,
  adapter?: ConstructorParameters<typeof Elysia>[0] extends infer C
    ? C extends { adapter?: infer A }
      ? A
      : never
    : never,
) {
  return (
    new Elysia(adapter ? { adapter } : {})
      // The app's own middleware before Tessera's: a cookie of its own on every answer.
      .onRequest(({ set }) => {
        set.headers["set-cookie"] = "early=1; Path=/";
      })
      .use(tessera(sessions, options))
      // The app's own error handler: Tessera's store failures are answered 503 before it.
      .onError(({ error, code, set }) => {
        if (code === "NOT_FOUND") return;
        set.status = 500;
        return { appError: (error as Error).name };
      })
      .get("/public", ({ session }) => ({ user: session?.userId ?? null }))
      .get("/theme", ({ session, set }) => {
        const early = set.headers["set-cookie"];
        set.headers["set-cookie"] = [...[early ?? []].flat(), "theme=dark; Path=/"];
        return { user: session?.userId ?? null };
      })
      .get("/cached", ({ session, set }) => {
        set.headers["cache-control"] = "public, max-age=60";
        return { user: session?.userId ?? null };
      })
      .post("/login", async ({ body, tessera }) => {
        const { user, data, policy } = body as {
          user: string;
          data?: Record<string, unknown>;
          policy?: string;
        };
        const { session, token } = await tessera.login({ userId: user, data, policy });
        return { user: session.userId, token };
      })
      .get(
        "/me",
        ({ session, tessera }) => ({
          user: session!.userId,
          id: session!.id,
          data: session!.data,
          fresh: session!.fresh,
          ip: session!.client.ip ?? null,
          source: tessera.source,
          impersonatedBy: session!.impersonatedBy,
          policy: session!.policy,
        }),
        { beforeHandle: requireSession() },
      )
      .post("/guest", async ({ body, tessera }) => {
        const data = (body as { data?: Record<string, unknown> } | undefined)?.data;
        return { guest: (await tessera.startGuest(data))?.id ?? null };
      })
      .get("/guest", ({ tessera }) => ({ guest: tessera.guest?.data ?? null }))
      .post(
        "/impersonate",
        async ({ body, tessera }) => {
          const { user, reason } = body as { user: string; reason: string };
          const { session } = await tessera.impersonate(user, { reason });
          return { user: session.userId, impersonatedBy: session.impersonatedBy };
        },
        { beforeHandle: requireSession() },
      )
      .post(
        "/impersonation/stop",
        async ({ tessera }) => ({ user: (await tessera.stopImpersonating())?.userId ?? null }),
        { beforeHandle: requireSession() },
      )
      .post("/transfer", () => ({ transferred: true }), { beforeHandle: requireFresh() })
      .post("/rotate", async ({ tessera }) => ({ rotated: (await tessera.rotate()) !== null }), {
        beforeHandle: requireSession(),
      })
      .post(
        "/step-up",
        async ({ tessera }) => ({ fresh: (await tessera.reauthenticate())?.fresh ?? false }),
        { beforeHandle: requireSession() },
      )
      .post("/logout", async ({ tessera }) => ({ ended: await tessera.logout() }))
      .post(
        "/logout-everywhere",
        async ({ body, tessera }) => ({
          ended: await tessera.logoutEverywhere({
            keepCurrent: (body as { keepCurrent?: boolean } | undefined)?.keepCurrent,
          }),
        }),
        { beforeHandle: requireSession() },
      )
      .get("/boom", () => {
        throw new Error("an application bug");
      })
  );
}
