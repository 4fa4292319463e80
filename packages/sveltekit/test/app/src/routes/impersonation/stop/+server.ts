import { json } from "@sveltejs/kit";
import { requireSession } from "@tessera/sveltekit";

export const POST = async (event) => {
  requireSession(event);
  const admin = await event.locals.tessera.stopImpersonating();
  return json({ user: admin?.userId ?? null });
};
