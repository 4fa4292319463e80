/**
 * Next.js writes cookies through its own cookie objects (`NextResponse.cookies`, `cookies()` in
 * Server Actions), not raw `Set-Cookie` strings. Core produces the strings (name, secure
 * defaults, Max-Age from the session's expiry); this turns one back into the options object Next
 * takes, so the attributes are decided in one place only.
 */
import { InvalidArgumentError } from "@tessera/core";

/** The cookie shape `NextResponse.cookies.set()` and `cookies().set()` accept. */
export interface NextCookie {
  name: string;
  value: string;
  maxAge: number;
  /** Set (to the epoch) only on a deleting cookie; see `toNextCookie`. */
  expires?: Date;
  path: string;
  domain?: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: "lax" | "strict" | "none";
}

/**
 * Parses a `Set-Cookie` value produced by `sessions.cookie.serialize()` or `.blank()`.
 * Anything else is a programming error, reported as `InvalidArgumentError`.
 */
export function toNextCookie(setCookie: string): NextCookie {
  const [pair, ...attributes] = setCookie.split("; ");
  const eq = pair ? pair.indexOf("=") : -1;
  if (!pair || eq < 1) throw new InvalidArgumentError("not a Set-Cookie value");
  const cookie: NextCookie = {
    name: pair.slice(0, eq),
    value: pair.slice(eq + 1),
    maxAge: 0,
    path: "/",
    httpOnly: false,
    secure: false,
    sameSite: "lax",
  };
  for (const attribute of attributes) {
    const [key = "", value = ""] = attribute.split("=", 2);
    switch (key.toLowerCase()) {
      case "max-age":
        cookie.maxAge = Number(value);
        break;
      case "path":
        cookie.path = value;
        break;
      case "domain":
        cookie.domain = value;
        break;
      case "httponly":
        cookie.httpOnly = true;
        break;
      case "secure":
        cookie.secure = true;
        break;
      case "samesite":
        cookie.sameSite = value.toLowerCase() as NextCookie["sameSite"];
        break;
    }
  }
  // Next.js drops a zero Max-Age when it copies cookies between its jars (falsy values are
  // compacted away), which would turn a deleting cookie into an empty session cookie. An
  // Expires in the past survives the copy, as in Next's own `cookies().delete()`.
  if (cookie.maxAge <= 0) cookie.expires = new Date(0);
  return cookie;
}
