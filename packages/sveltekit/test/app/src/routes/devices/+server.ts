import { json } from "@sveltejs/kit";
import { requireSession } from "@tessera/sveltekit";

export const GET = async (event) => {
  const session = requireSession(event);
  const list = await event.locals.tessera.sessions.list(session.userId, { current: session.id });
  return json({
    devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
  });
};
