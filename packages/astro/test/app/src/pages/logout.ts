import type { APIRoute } from "astro";

export const POST: APIRoute = async ({ locals }) =>
  Response.json({ ended: await locals.tessera.logout() });
