import { fileURLToPath } from "node:url";
import { startProcess } from "@tessera/edge-test-kit";
import { runSmokeSuite } from "./smoke.js";

const here = new URL("..", import.meta.url);

// Bun, installed from npm (`bun` package), runs the TypeScript entry and resolves the built
// packages through this package's node_modules.
runSmokeSuite("bun", () =>
  startProcess({
    command: fileURLToPath(new URL("node_modules/.bin/bun", here)),
    args: ["run", "src/bun.ts"],
    cwd: here,
    env: { NO_COLOR: "1" },
  }),
);
