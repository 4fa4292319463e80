import { fail, redirect } from "@sveltejs/kit";
import { requireFresh, requireSession } from "@tessera/sveltekit";
import { passwordMatches, setPassword } from "$lib/server/sessions";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = (event) => {
  if (!event.locals.session) redirect(303, "/login");
  return { fresh: requireSession(event).fresh };
};

export const actions: Actions = {
  // Step-up: the user typed the password again; a new secret, fresh again.
  stepUp: async (event) => {
    const session = requireSession(event);
    const password = (await event.request.formData()).get("password");
    if (!passwordMatches(session.userId, password)) return fail(400, { error: "Wrong password." });
    await event.locals.tessera.reauthenticate();
    return { steppedUp: true };
  },
  // Sensitive: only within freshFor of a login or step-up (403 not-fresh after).
  password: async (event) => {
    const session = requireFresh(event);
    const next = (await event.request.formData()).get("password");
    if (typeof next !== "string" || next.length < 8) return fail(400, { error: "Too short." });
    setPassword(session.userId, next);
    const ended = await event.locals.tessera.logoutEverywhere({ keepCurrent: true });
    return { changed: true, otherSessionsEnded: ended };
  },
};
