/**
 * Writing the session's cookie and headers onto responses, and the answers every entry point
 * gives alike (403 cross-site, 503 store outage).
 */
import { type CrossSiteRefusal, ROTATED_TOKEN_HEADER } from "@tessera/core";
import { toNextCookie } from "./cookie.js";

/** A response whose cookies Next.js tracks (`NextResponse`), or any `Response`. */
interface CookieJarResponse extends Response {
  cookies?: { set(cookie: ReturnType<typeof toNextCookie>): unknown };
}

/**
 * Applies `Set-Cookie` values and the rotated bearer token to a response. A `NextResponse`
 * gets the cookie through its cookie API, which also lets the render of the same request read
 * the new value; a plain `Response` gets raw headers. Responses with immutable headers
 * (`Response.redirect()`) are copied first.
 */
export function applySessionHeaders(
  response: Response,
  setCookies: readonly string[],
  rotatedToken: string | null,
): Response {
  if (setCookies.length === 0 && rotatedToken === null) return response;
  let target: CookieJarResponse = response;
  try {
    write(target, setCookies, rotatedToken);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    target = new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: new Headers(response.headers),
    });
    write(target, setCookies, rotatedToken);
  }
  return target;
}

function write(response: CookieJarResponse, setCookies: readonly string[], token: string | null) {
  for (const setCookie of setCookies) {
    if (response.cookies && typeof response.cookies.set === "function") {
      response.cookies.set(toNextCookie(setCookie));
    } else {
      response.headers.append("set-cookie", setCookie);
    }
  }
  if (token !== null) response.headers.set(ROTATED_TOKEN_HEADER, token);
}

/** 403 for an unsafe request from another site (CSRF). */
export function crossSiteResponse(refusal: CrossSiteRefusal): Response {
  return Response.json({ error: refusal }, { status: 403 });
}

/** 503 when the session store cannot be reached: never answered as "logged out". */
export function storeUnavailableResponse(): Response {
  return Response.json(
    { error: "store-unavailable" },
    { status: 503, headers: { "retry-after": "5", "cache-control": "no-store" } },
  );
}
