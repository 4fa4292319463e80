import { appendResponseHeader, defineEventHandler } from "h3";

export default defineEventHandler((event) => {
  appendResponseHeader(event, "set-cookie", "theme=dark; Path=/");
  return { user: event.context.session?.userId ?? null };
});
