/**
 * The HTTP face of a real `SQLiteStore` inside another runtime (workerd with D1, Bun with
 * bun:sqlite): the six store methods, a raw read of the row that bypasses the store, and
 * `migrate`. vitest on Node drives it through `RemoteStore` (../remote-store.ts), so the
 * conformance suite runs against the built package in that runtime.
 */
import type { SessionStore } from "@tessera/core/store";

/** What the runtime gives the app: its store, a raw row reader and the table's creation. */
export interface RuntimeStore {
  store(): SessionStore;
  rawRead(id: string): Promise<unknown>;
  migrate(): Promise<void>;
}

const METHODS = new Set([
  "create",
  "get",
  "update",
  "delete",
  "listByUser",
  "deleteByUser",
  "getWithEpochs",
  "readEpochs",
  "raiseEpoch",
]);

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Answers one request of `RemoteStore`. */
export async function answer(request: Request, runtime: RuntimeStore): Promise<Response> {
  const [, route, arg] = new URL(request.url).pathname.split("/");
  try {
    if (route === "store" && request.method === "POST") {
      const { method, args } = (await request.json()) as { method: string; args: unknown[] };
      if (!METHODS.has(method)) return json({ error: { name: "Error", message: method } }, 400);
      const store = runtime.store() as unknown as Record<string, (...a: unknown[]) => unknown>;
      return json({ value: (await store[method]!(...args)) ?? null });
    }
    if (route === "raw" && arg) return json({ value: await runtime.rawRead(arg) });
    if (route === "migrate" && request.method === "POST") {
      await runtime.migrate();
      return json({ value: null });
    }
  } catch (error) {
    const { name, message, code } = error as { name: string; message: string; code?: string };
    return json({ error: { name, message, code } }, 500);
  }
  return json({ error: { name: "Error", message: "not found" } }, 404);
}
