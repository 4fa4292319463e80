import { fail, redirect } from "@sveltejs/kit";
import { passwordMatches } from "$lib/server/sessions";
import type { Actions } from "./$types";

export const actions: Actions = {
  default: async ({ request, locals }) => {
    const form = await request.formData();
    const user = form.get("user");
    if (!passwordMatches(user, form.get("password"))) {
      return fail(400, { error: "Wrong user name or password." });
    }
    await locals.tessera.login(String(user)); // a new session; any session this browser had ends
    redirect(303, "/devices");
  },
};
