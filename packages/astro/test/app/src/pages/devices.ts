import { requireSession } from "@tessera/astro";
import type { APIRoute } from "astro";

export const GET: APIRoute = async (context) => {
  const refused = requireSession(context);
  if (refused) return refused;
  const session = context.locals.session!;
  const list = await context.locals.tessera.sessions.list(session.userId, { current: session.id });
  return Response.json({
    devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
  });
};
