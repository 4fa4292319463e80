/**
 * The Worker the store tests run in workerd. It exposes the six store methods of a real
 * `DurableObjectStore` (the built package) over HTTP, so the conformance suite, running in
 * vitest on Node, drives Durable Objects that really live in workerd, and a raw reader that
 * looks into a session object's storage without going through the store.
 */
import { DurableObjectStore, SessionDurableObject } from "../dist/index.js";

interface Env {
  SESSIONS: DurableObjectNamespace<TestSessionObject>;
}

/** The class under test, plus raw reads of its storage for the tests' own checks. */
export class TestSessionObject extends SessionDurableObject {
  async rawRecord(): Promise<unknown> {
    return (await this.ctx.storage.get("record")) ?? null;
  }
  async rawState(): Promise<{ keys: string[]; alarm: number | null }> {
    const keys = [...(await this.ctx.storage.list()).keys()];
    return { keys, alarm: await this.ctx.storage.getAlarm() };
  }
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

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const [, route, arg] = url.pathname.split("/");
    if (route === "store" && request.method === "POST") {
      const { method, args, prefix } = (await request.json()) as {
        method: string;
        args: unknown[];
        prefix?: string;
      };
      if (!METHODS.has(method)) return json({ error: "unknown method" }, 400);
      try {
        const store = new DurableObjectStore({
          namespace: env.SESSIONS,
          prefix,
        }) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
        const value = await store[method]!(...args);
        return json({ value: value ?? null });
      } catch (error) {
        const { name, message, code } = error as { name: string; message: string; code?: string };
        return json({ error: { name, message, code } }, 500);
      }
    }
    if (route === "config") {
      try {
        new DurableObjectStore({ namespace: {} as never });
        return json({ threw: null });
      } catch (error) {
        return json({ threw: (error as { code?: string }).code });
      }
    }
    const object = (name: string) => env.SESSIONS.get(env.SESSIONS.idFromName(name));
    if (route === "raw-record" && arg) return json(await object(`s:${arg}`).rawRecord());
    if (route === "raw-session" && arg) return json(await object(`s:${arg}`).rawState());
    if (route === "raw-epoch" && arg) {
      return json(await object(decodeURIComponent(arg)).rawState());
    }
    if (route === "raw-index" && arg) {
      return json(await object(`u:${decodeURIComponent(arg)}`).rawState());
    }
    return json({ error: "not found" }, 404);
  },
};
