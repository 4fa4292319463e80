/**
 * A framework with no authentication at all (`options.framework`: Express 5 by default, Hono
 * on @hono/node-server, or Fastify 5): the ceiling that framework's ratios are divided by.
 */
import { defineContender } from "../contender.js";
import { cookieApp, frameworkOf } from "../frameworks.js";

export default defineContender(async (context) => ({
  app: await cookieApp(frameworkOf(context.options), () => context.userId),
  prepare: async () => ({ setCookie: "", userId: context.userId, storedBytes: null }),
}));
