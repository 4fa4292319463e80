import type { Handle } from "@sveltejs/kit";
import { sequence } from "@sveltejs/kit/hooks";
import { tesseraHandleError } from "@tessera/sveltekit";
import { reference } from "$lib/reference";

/** TEST-ONLY levers (configure, clock, store, events): 404 without TESSERA_REFERENCE_TEST_HOOKS=1. */
const levers: Handle = async ({ event, resolve }) =>
  (await reference.answer(event.request)) ?? resolve(event);

/** The app's own handle before Tessera's: a cookie of its own on every answer. */
const early: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  response.headers.append("set-cookie", "early=1; Path=/");
  return response;
};

/** Tessera's handle, as the current configuration mounted it. */
const tessera: Handle = (input) => reference.current().mounted(input);

export const handle = sequence(levers, early, tessera);

// The app's own error handler: 500 { appError } for its own errors; Tessera's store errors 503.
export const handleError = tesseraHandleError(
  ({ error }) => ({ appError: (error as Error).name }) as App.Error,
);
