/**
 * The hand-rolled session of the raw-read contenders (the limits Tessera is measured against):
 * a random id in a `sid` cookie, read with the `cookie` package, nothing else.
 */
import { randomBytes } from "node:crypto";
import { parse, serialize } from "cookie";

/** A new random session id (160 bits, base64url). */
export function newRawSessionId(): string {
  return randomBytes(20).toString("base64url");
}

/** The session id a `Cookie` header carries, if any. */
export function rawSessionIdOf(cookie: string | undefined | null): string | undefined {
  return parse(cookie ?? "").sid;
}

/** The `Set-Cookie` value carrying `id`, with the attributes a real session cookie has. */
export function rawSessionCookie(id: string): string {
  return serialize("sid", id, { httpOnly: true, secure: true, sameSite: "lax", path: "/" });
}
