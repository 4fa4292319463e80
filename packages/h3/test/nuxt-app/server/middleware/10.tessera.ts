import { defineEventHandler } from "h3";
import { current } from "../utils/reference";

// The middleware of the current configuration (an app would export `tessera(sessions)` itself).
export default defineEventHandler((event) => {
  if (event.path.startsWith("/test-only/")) return;
  return current().middleware(event);
});
