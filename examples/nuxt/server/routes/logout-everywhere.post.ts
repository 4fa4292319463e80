import { requireSession } from "@tessera/h3";

export default defineEventHandler({
  onRequest: [requireSession()],
  handler: async (event) => ({ ended: await event.context.tessera.logoutEverywhere() }),
});
