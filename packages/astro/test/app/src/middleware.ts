import { defineMiddleware, sequence } from "astro:middleware";
import { reference } from "./lib/reference";

/** TEST-ONLY levers (configure, clock, store, events): 404 without TESSERA_REFERENCE_TEST_HOOKS=1. */
const levers = defineMiddleware(
  async (context, next) => (await reference.answer(context.request)) ?? next(),
);

/**
 * The app's own middleware before Tessera's: a cookie of its own on every answer, and its own
 * error handler (500 { appError }) for errors that are not Tessera's.
 */
const early = defineMiddleware(async (_context, next) => {
  let response: Response;
  try {
    response = await next();
  } catch (error) {
    response = Response.json({ appError: (error as Error).name }, { status: 500 });
  }
  response.headers.append("set-cookie", "early=1; Path=/");
  return response;
});

/** Tessera's middleware, as the current configuration mounted it. */
const tessera = defineMiddleware((context, next) => reference.current().mounted(context, next));

export const onRequest = sequence(levers, early, tessera);
