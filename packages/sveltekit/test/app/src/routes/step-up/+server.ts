import { json } from "@sveltejs/kit";
import { requireSession } from "@tessera/sveltekit";

export const POST = async (event) => {
  requireSession(event);
  return json({ fresh: (await event.locals.tessera.reauthenticate())?.fresh ?? false });
};
