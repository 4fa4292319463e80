import { json } from "@sveltejs/kit";
import { requireSession } from "@tessera/sveltekit";

export const POST = async (event) => {
  requireSession(event);
  return json({ rotated: (await event.locals.tessera.rotate()) !== null });
};
