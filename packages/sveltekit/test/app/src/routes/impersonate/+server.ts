import { json } from "@sveltejs/kit";
import { requireSession } from "@tessera/sveltekit";

export const POST = async (event) => {
  requireSession(event);
  const body = (await event.request.json()) as { user: string; reason: string };
  const { session } = await event.locals.tessera.impersonate(body.user, { reason: body.reason });
  return json({ user: session.userId, impersonatedBy: session.impersonatedBy });
};
