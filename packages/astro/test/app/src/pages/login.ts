import type { APIRoute } from "astro";

export const POST: APIRoute = async ({ request, locals }) => {
  const body = (await request.json()) as {
    user: string;
    data?: { role: string };
    policy?: string;
  };
  const { user: userId, data, policy } = body;
  const { session, token } = await locals.tessera.login({ userId, data, policy });
  return Response.json({ user: session.userId, token });
};
