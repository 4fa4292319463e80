/**
 * TEST-ONLY levers of the reference app: configure, move the clock, count store reads, switch the
 * store. 404 unless the server runs with TESSERA_REFERENCE_TEST_HOOKS=1.
 */
import type { StoreMode } from "@tessera/store-test/doubles";
import { createError, defineEventHandler, getRouterParam, readBody } from "h3";
import { configure, current, type ReferenceConfig, testHooksEnabled } from "../../utils/reference";

export default defineEventHandler(async (event) => {
  const action = getRouterParam(event, "action");
  if (!testHooksEnabled) throw createError({ statusCode: 404 });
  if (event.method === "GET" && action === "reads") return { reads: current().calls.reads };
  if (event.method !== "POST") throw createError({ statusCode: 404 });
  const body = ((await readBody(event)) ?? {}) as Record<string, unknown>;
  if (action === "configure") configure(body as ReferenceConfig);
  else if (action === "clock") current().offsetMs += Number(body.seconds) * 1000;
  else if (action === "store") current().setStore(body.mode as StoreMode);
  else throw createError({ statusCode: 404 });
  return { ok: true };
});
