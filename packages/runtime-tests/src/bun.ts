/** Bun: `Bun.serve` on a free loopback port, printing its URL once listening. */
import { getConnInfo } from "hono/bun";
import { createSmokeApp } from "./smoke-app.ts";

declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request, server: unknown) => Response | Promise<Response>;
  }): { port: number };
};

const app = createSmokeApp({
  runtime: "bun",
  getClientIp: (c) => getConnInfo(c).remote.address,
});

const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
console.log(`listening on http://127.0.0.1:${server.port}`);
