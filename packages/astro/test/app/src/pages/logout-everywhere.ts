import { requireSession } from "@tessera/astro";
import type { APIRoute } from "astro";

export const POST: APIRoute = async (context) => {
  const refused = requireSession(context);
  if (refused) return refused;
  const body = (await context.request.json().catch(() => ({}))) as { keepCurrent?: boolean };
  return Response.json({ ended: await context.locals.tessera.logoutEverywhere(body) });
};
