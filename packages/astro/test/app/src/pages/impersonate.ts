import { requireSession } from "@tessera/astro";
import type { APIRoute } from "astro";

export const POST: APIRoute = async (context) => {
  const refused = requireSession(context);
  if (refused) return refused;
  const body = (await context.request.json()) as { user: string; reason: string };
  const { session } = await context.locals.tessera.impersonate(body.user, {
    reason: body.reason,
  });
  return Response.json({ user: session.userId, impersonatedBy: session.impersonatedBy });
};
