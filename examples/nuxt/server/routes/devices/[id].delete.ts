import { requireFresh } from "@tessera/h3";

// Revoking another device is sensitive: only within `freshFor` of a login or step-up.
export default defineEventHandler({
  onRequest: [requireFresh()],
  handler: async (event) => {
    const { userId } = event.context.session!;
    const id = getRouterParam(event, "id")!;
    const mine = await sessions.list(userId);
    if (!mine.some((device) => device.id === id)) {
      throw createError({ statusCode: 404, statusMessage: "no such device" });
    }
    return { revoked: await sessions.revoke(id) };
  },
});
