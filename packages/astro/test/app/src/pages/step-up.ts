import { requireSession } from "@tessera/astro";
import type { APIRoute } from "astro";

export const POST: APIRoute = async (context) =>
  requireSession(context) ??
  Response.json({ fresh: (await context.locals.tessera.reauthenticate())?.fresh ?? false });
