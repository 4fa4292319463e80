import type { APIRoute } from "astro";

export const GET: APIRoute = ({ locals }) =>
  Response.json(
    { user: locals.session?.userId ?? null },
    { headers: { "cache-control": "public, max-age=60" } },
  );
