import { requireSession } from "@tessera/astro";
import type { APIRoute } from "astro";

export const GET: APIRoute = (context) => {
  const refused = requireSession(context);
  if (refused) return refused;
  const session = context.locals.session!;
  return Response.json({
    user: session.userId,
    id: session.id,
    data: session.data,
    fresh: session.fresh,
    ip: session.client.ip ?? null,
    source: context.locals.tessera.source,
    deviceBound: session.deviceBound,
    impersonatedBy: session.impersonatedBy,
    policy: session.policy,
  });
};
