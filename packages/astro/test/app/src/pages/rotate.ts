import { requireSession } from "@tessera/astro";
import type { APIRoute } from "astro";

export const POST: APIRoute = async (context) =>
  requireSession(context) ??
  Response.json({ rotated: (await context.locals.tessera.rotate()) !== null });
