/** Tessera's proxy for every reference route (the test-only endpoints excepted). */
import type { NextRequest } from "next/server";
import { current } from "./lib/reference";

export function proxy(request: NextRequest) {
  return current().proxy(request);
}

export const config = { matcher: ["/((?!_next/|test-only/|favicon.ico).*)"] };
