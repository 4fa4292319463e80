import { requireSession } from "@tessera/h3";

// The user typed the password again (check it first): a new secret, fresh again, a new cookie.
export default defineEventHandler({
  onRequest: [requireSession()],
  handler: async (event) => ({
    fresh: (await event.context.tessera.reauthenticate())?.fresh ?? false,
  }),
});
