import { json } from "@sveltejs/kit";

export const POST = async ({ request, locals }) => {
  const body = (await request.json()) as {
    user: string;
    data?: { role: string };
    policy?: string;
  };
  const { user: userId, data, policy } = body;
  const { session, token } = await locals.tessera.login({ userId, data, policy });
  return json({ user: session.userId, token });
};
