import { json } from "@sveltejs/kit";
import { requireSession } from "@tessera/sveltekit";

export const POST = async (event) => {
  requireSession(event);
  const body = (await event.request.json().catch(() => ({}))) as { keepCurrent?: boolean };
  return json({ ended: await event.locals.tessera.logoutEverywhere(body) });
};
