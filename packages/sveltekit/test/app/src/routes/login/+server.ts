import { json } from "@sveltejs/kit";

export const POST = async ({ request, locals }) => {
  const body = (await request.json()) as { user: string; data?: { role: string } };
  const { session, token } = await locals.tessera.login(body.user, body.data);
  return json({ user: session.userId, token });
};
