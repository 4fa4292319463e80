import { json } from "@sveltejs/kit";
import { requireSession } from "@tessera/sveltekit";

export const GET = (event) => {
  const session = requireSession(event);
  return json({
    user: session.userId,
    id: session.id,
    data: session.data,
    fresh: session.fresh,
    ip: session.client.ip ?? null,
    source: event.locals.tessera.source,
    deviceBound: session.deviceBound,
    impersonatedBy: session.impersonatedBy,
    policy: session.policy,
  });
};
