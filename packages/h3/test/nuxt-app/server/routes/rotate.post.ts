import { requireSession } from "@tessera/h3";
import { defineEventHandler } from "h3";

export default defineEventHandler({
  onRequest: [requireSession()],
  handler: async (event) => ({ rotated: (await event.context.tessera.rotate()) !== null }),
});
