/**
 * Runs before every page, server action and route handler it matches: refuses cross-site
 * unsafe requests, validates the session once (rotating it when due, setting the new cookie),
 * and forwards the result, signed, to the render. Pages still check the session themselves.
 */
import { tesseraProxy } from "@tessera/next";
import { sessions } from "./lib/sessions";

export const proxy = tesseraProxy(sessions);

export const config = {
  // Everything but static assets; /api routes included, so route handlers get the verdict too.
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
