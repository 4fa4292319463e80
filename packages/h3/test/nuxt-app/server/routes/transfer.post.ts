import { requireFresh } from "@tessera/h3";
import { defineEventHandler } from "h3";

export default defineEventHandler({
  onRequest: [requireFresh()],
  handler: () => ({ transferred: true }),
});
