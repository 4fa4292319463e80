import { requireSession } from "@tessera/h3";

export default defineEventHandler({
  onRequest: [requireSession()],
  handler: (event) => ({
    user: event.context.session!.userId,
    fresh: event.context.session!.fresh,
  }),
});
