import { json } from "@sveltejs/kit";
import { requireFresh } from "@tessera/sveltekit";

export const POST = (event) => {
  requireFresh(event);
  return json({ transferred: true });
};
