import type { APIRoute } from "astro";

export const POST: APIRoute = async ({ request, locals }) => {
  const text = await request.text();
  const body = (text ? JSON.parse(text) : {}) as { data?: Record<string, unknown> };
  const guest = await locals.tessera.startGuest(body.data);
  return Response.json({ guest: guest?.id ?? null });
};

export const GET: APIRoute = ({ locals }) =>
  Response.json({ guest: locals.tessera.guest?.data ?? null });
