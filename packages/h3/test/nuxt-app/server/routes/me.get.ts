import { requireSession } from "@tessera/h3";
import { defineEventHandler } from "h3";

export default defineEventHandler({
  onRequest: [requireSession()],
  handler(event) {
    const session = event.context.session!;
    return {
      user: session.userId,
      id: session.id,
      data: session.data,
      fresh: session.fresh,
      ip: session.client.ip ?? null,
      source: event.context.tessera.source,
    };
  },
});
