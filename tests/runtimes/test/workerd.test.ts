import { startWorker } from "@tessera/edge-test-kit";
import { runSmokeSuite } from "./smoke.js";

// workerd (through miniflare) serves the smoke app bundled as a module Worker.
runSmokeSuite("workerd", () =>
  startWorker({ entry: new URL("../src/workerd.ts", import.meta.url) }),
);
