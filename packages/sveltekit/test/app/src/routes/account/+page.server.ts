import { fail } from "@sveltejs/kit";
import { requireFresh, requireSession } from "@tessera/sveltekit";

export const load = (event) => ({ user: requireSession(event).userId });

export const actions = {
  transfer: async (event) => {
    requireFresh(event);
    const form = await event.request.formData();
    if (!form.get("amount")) return fail(400, { missing: true });
    return { transferred: Number(form.get("amount")) };
  },
};
