import { startWorker } from "@tessera/testing-edge";
import { runSmokeSuite } from "./smoke.js";

// workerd (through miniflare) serves the smoke app bundled as a module Worker.
runSmokeSuite("workerd", () =>
  startWorker({ entry: new URL("../src/workerd.ts", import.meta.url) }),
);
