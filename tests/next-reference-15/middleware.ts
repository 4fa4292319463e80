/**
 * Next.js 15: Tessera's proxy as Node.js middleware for every reference route (the test-only
 * endpoints excepted); ../next-reference/proxy.ts is its Next.js 16 counterpart.
 */
import type { NextRequest } from "next/server";
import { current } from "./lib/reference";

export function middleware(request: NextRequest) {
  return current().proxy(request);
}

export const config = { runtime: "nodejs", matcher: ["/((?!_next/|test-only/|favicon.ico).*)"] };
