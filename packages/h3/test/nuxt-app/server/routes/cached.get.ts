import { defineEventHandler, setResponseHeader } from "h3";

export default defineEventHandler((event) => {
  setResponseHeader(event, "cache-control", "public, max-age=60");
  return { user: event.context.session?.userId ?? null };
});
