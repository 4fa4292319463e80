import { error, redirect } from "@sveltejs/kit";
import { requireSession } from "@tessera/sveltekit";
import { sessions } from "$lib/server/sessions";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = async (event) => {
  if (!event.locals.session) redirect(303, "/login");
  const session = requireSession(event);
  const devices = await sessions.list(session.userId, { current: session.id });
  return {
    user: session.userId,
    devices: devices.map((device) => ({
      id: device.id,
      current: device.current,
      browser: device.client.browser ?? "unknown",
      lastActiveAt: device.lastActiveAt.toISOString(),
    })),
  };
};

export const actions: Actions = {
  // Log one of the user's other devices out: only an id from the user's own list.
  revoke: async (event) => {
    const session = requireSession(event);
    const id = (await event.request.formData()).get("id");
    const own = await sessions.list(session.userId);
    if (!own.some((device) => device.id === id)) error(404, "No such device");
    await sessions.revoke(String(id));
    return { revoked: true };
  },
  everywhere: async (event) => {
    requireSession(event);
    await event.locals.tessera.logoutEverywhere();
    redirect(303, "/login");
  },
  logout: async (event) => {
    await event.locals.tessera.logout();
    redirect(303, "/login");
  },
};
