/** Bun: `Bun.serve` on a free loopback port, printing its URL once listening. */
import { createSmokeApp } from "./smoke-app.ts";

declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request, server: unknown) => Response | Promise<Response>;
  }): { port: number };
};

// The peer address comes from the runtime by default (no getRemoteAddress needed).
const app = createSmokeApp({ runtime: "bun" });

const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
console.log(`listening on http://127.0.0.1:${server.port}`);
