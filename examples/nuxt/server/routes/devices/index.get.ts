import { requireSession } from "@tessera/h3";

export default defineEventHandler({
  onRequest: [requireSession()],
  handler: async (event) => {
    const { id, userId } = event.context.session!;
    const devices = await sessions.list(userId, { current: id });
    return devices.map((d) => ({ id: d.id, current: d.current, ip: d.client.ip ?? null }));
  },
});
