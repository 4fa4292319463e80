import type { APIRoute } from "astro";

/** A raw `Response.redirect` (immutable headers): the rotated cookie must still go out. */
export const GET: APIRoute = ({ url }) => Response.redirect(new URL("/public", url), 303);
