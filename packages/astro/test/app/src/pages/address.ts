import type { APIRoute } from "astro";

/** What Astro reports as the client address (it believes X-Forwarded-For) beside the session's. */
export const GET: APIRoute = ({ clientAddress, locals }) =>
  Response.json({ astro: clientAddress, session: locals.session?.client.ip ?? null });
