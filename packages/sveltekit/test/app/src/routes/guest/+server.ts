import { json } from "@sveltejs/kit";

export const POST = async ({ request, locals }) => {
  const text = await request.text();
  const body = (text ? JSON.parse(text) : {}) as { data?: Record<string, unknown> };
  const guest = await locals.tessera.startGuest(body.data);
  return json({ guest: guest?.id ?? null });
};

export const GET = ({ locals }) => json({ guest: locals.tessera.guest?.data ?? null });
