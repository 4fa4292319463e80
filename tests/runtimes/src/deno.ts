/** Deno: `Deno.serve` on a free loopback port, printing its URL once listening. */
import { createSmokeApp } from "./smoke-app.ts";

declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): unknown;
};

// The peer address comes from the runtime by default (no getRemoteAddress needed).
const app = createSmokeApp({ runtime: "deno" });

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  },
  app.fetch,
);
