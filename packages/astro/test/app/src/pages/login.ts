import type { APIRoute } from "astro";

export const POST: APIRoute = async ({ request, locals }) => {
  const body = (await request.json()) as { user: string; data?: { role: string } };
  const { session, token } = await locals.tessera.login(body.user, body.data);
  return Response.json({ user: session.userId, token });
};
