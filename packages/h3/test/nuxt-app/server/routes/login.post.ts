import { defineEventHandler, readBody } from "h3";

export default defineEventHandler(async (event) => {
  const body = await readBody<{ user: string; data?: Record<string, unknown> }>(event);
  const { session, token } = await event.context.tessera.login(body.user, body.data);
  return { user: session.userId, token };
});
