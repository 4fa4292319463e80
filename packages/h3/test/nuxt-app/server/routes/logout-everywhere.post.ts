import { requireSession } from "@tessera/h3";
import { defineEventHandler, readBody } from "h3";

export default defineEventHandler({
  onRequest: [requireSession()],
  handler: async (event) => {
    const body = await readBody<{ keepCurrent?: boolean } | undefined>(event);
    return {
      ended: await event.context.tessera.logoutEverywhere({ keepCurrent: body?.keepCurrent }),
    };
  },
});
