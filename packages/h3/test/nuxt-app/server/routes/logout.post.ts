import { defineEventHandler } from "h3";

export default defineEventHandler(async (event) => ({
  ended: await event.context.tessera.logout(),
}));
