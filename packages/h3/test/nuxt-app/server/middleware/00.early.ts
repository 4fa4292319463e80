import { appendResponseHeader, defineEventHandler } from "h3";

// The app's own middleware before Tessera's: a cookie of its own on every answer.
export default defineEventHandler((event) => {
  appendResponseHeader(event, "set-cookie", "early=1; Path=/");
});
