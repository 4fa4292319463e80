export default defineEventHandler(async (event) => {
  const { user } = await readBody<{ user: string }>(event); // check the password first
  const { session } = await event.context.tessera.login(user);
  return { user: session.userId };
});
