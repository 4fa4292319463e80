import { requireSession } from "@tessera/astro";
import type { APIRoute } from "astro";

export const POST: APIRoute = async (context) =>
  requireSession(context) ??
  Response.json({ user: (await context.locals.tessera.stopImpersonating())?.userId ?? null });
