/** Deno: `Deno.serve` on a free loopback port, printing its URL once listening. */
import { getConnInfo } from "hono/deno";
import { createSmokeApp } from "./smoke-app.ts";

declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): unknown;
};

const app = createSmokeApp({
  runtime: "deno",
  getClientIp: (c) => getConnInfo(c).remote.address,
});

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  },
  app.fetch,
);
