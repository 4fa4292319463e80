import { requireFresh } from "@tessera/astro";
import type { APIRoute } from "astro";

export const POST: APIRoute = (context) =>
  requireFresh(context) ?? Response.json({ transferred: true });
