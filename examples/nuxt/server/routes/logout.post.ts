export default defineEventHandler(async (event) => ({
  ended: await event.context.tessera.logout(),
}));
