/**
 * Next.js 15: the proxy of proxy.ts runs as middleware. The same function, exported as
 * `middleware`, on the Node.js runtime (stable since 15.5): on the Edge runtime, Next 15's default
 * for middleware, it would not see the store and signing key the app keeps on `globalThis`.
 */
import { tesseraProxy } from "@tessera/next";
import { sessions } from "./lib/sessions";

export const middleware = tesseraProxy(sessions);

export const config = {
  runtime: "nodejs",
  // Everything but static assets; /api routes included, so route handlers get the verdict too.
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
