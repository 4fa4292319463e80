/**
 * The three frameworks a contender can run on, each with the same route: `GET /me` answering
 * `200 {"userId"}` or `401 {"error":"unauthenticated"}`. A raw-read or bare contender gives a
 * function of the Cookie header; a Tessera contender gives its session manager and the
 * framework's own integration (`@tessera/express`, `@tessera/hono`, `@tessera/fastify`) does
 * the rest, as a user would deploy it.
 */
import { createServer, type RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { Sessions } from "@tessera/core";
import { tessera as expressTessera } from "@tessera/express";
import { tessera as fastifyTessera } from "@tessera/fastify";
import { tessera as honoTessera } from "@tessera/hono";
import Fastify, { type FastifyInstance } from "fastify";
import { Hono } from "hono";
import { authApp } from "./express-kit.js";

/** A framework a contender can run on. */
export type Framework = "express" | "hono" | "fastify";

/** Resolves the user id from the request's Cookie header, or `null`. */
export type ReadUser = (cookieHeader: string | undefined) => Promise<string | null> | string | null;

const UNAUTHENTICATED = { error: "unauthenticated" } as const;

/** The framework named in a contender's options (Express when none is given). */
export function frameworkOf(options: Record<string, unknown>): Framework {
  const framework = options.framework ?? "express";
  if (framework !== "express" && framework !== "hono" && framework !== "fastify") {
    throw new Error(`unknown framework ${String(framework)}`);
  }
  return framework;
}

/**
 * Fastify's request handler without its own `listen`: the child process serves it with the same
 * `http.createServer` every other contender gets. `serverFactory` is Fastify's documented hook
 * for handing the handler to a server of one's choosing.
 */
export async function fastifyListener(
  build: (app: FastifyInstance) => Promise<void> | void,
  options: { trustProxy?: boolean } = {},
): Promise<RequestListener> {
  let handler: RequestListener | undefined;
  const app = Fastify({
    ...options,
    serverFactory: (fastifyHandler) => {
      handler = fastifyHandler as RequestListener;
      return createServer(handler);
    },
  });
  await build(app);
  await app.ready();
  if (!handler) throw new Error("Fastify did not hand over its request handler");
  return handler;
}

/** `GET /me` on `framework`, authenticated by `readUser` from the Cookie header. */
export async function cookieApp(
  framework: Framework,
  readUser: ReadUser,
): Promise<RequestListener> {
  if (framework === "express") return authApp((req) => readUser(req.headers.cookie));
  if (framework === "hono") {
    const app = new Hono();
    app.get("/me", async (c) => {
      const userId = await readUser(c.req.header("cookie"));
      return userId === null ? c.json(UNAUTHENTICATED, 401) : c.json({ userId });
    });
    return getRequestListener(app.fetch);
  }
  return fastifyListener((app) => {
    app.get("/me", async (request, reply) => {
      const userId = await readUser(request.headers.cookie);
      if (userId === null) return reply.code(401).send(UNAUTHENTICATED);
      return { userId };
    });
  });
}

/** `GET /me` on `framework` behind that framework's Tessera integration, defaults as shipped. */
export async function tesseraFrameworkApp(
  framework: Framework,
  sessions: Sessions,
): Promise<RequestListener> {
  if (framework === "express") {
    return authApp(
      (req) => req.session?.userId ?? null,
      (app) => app.use(expressTessera(sessions)),
    );
  }
  if (framework === "hono") {
    const app = new Hono();
    app.use(honoTessera(sessions));
    app.get("/me", (c) => {
      const session = c.var.session;
      return session ? c.json({ userId: session.userId }) : c.json(UNAUTHENTICATED, 401);
    });
    return getRequestListener(app.fetch);
  }
  return fastifyListener(async (app) => {
    await app.register(fastifyTessera, { sessions });
    app.get("/me", async (request, reply) => {
      const session = request.session;
      if (!session) return reply.code(401).send(UNAUTHENTICATED);
      return { userId: session.userId };
    });
  });
}
