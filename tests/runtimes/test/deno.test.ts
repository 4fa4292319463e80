import { fileURLToPath } from "node:url";
import { startProcess } from "@tessera/edge-test-kit";
import { runSmokeSuite } from "./smoke.js";

const here = new URL("..", import.meta.url);

// Deno, installed from npm (`deno` package), runs the TypeScript entry and resolves the built
// packages through this package's node_modules; only loopback network access is granted.
runSmokeSuite("deno", () =>
  startProcess({
    command: fileURLToPath(new URL("node_modules/.bin/deno", here)),
    args: ["run", "--allow-net=127.0.0.1", "--no-prompt", "src/deno.ts"],
    cwd: here,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  }),
);
