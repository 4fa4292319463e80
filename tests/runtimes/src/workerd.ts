/** workerd: the module Worker serving the smoke app. */
import { createSmokeApp } from "./smoke-app.ts";

const app = createSmokeApp({
  runtime: "workerd",
  getRemoteAddress: (c) => c.req.header("cf-connecting-ip"),
});

export default { fetch: app.fetch };
