import { runExampleSuite, scriptPath, startProcess, startScript } from "@tessera/edge-test-kit";

const here = new URL("..", import.meta.url);

// `npm start` runs the app on Deno (installed from npm); port 0 picks a free port.
runExampleSuite("examples/hono-deno (Deno.serve)", () =>
  startProcess({
    command: "sh",
    args: ["-c", startScript(here)],
    cwd: here,
    env: {
      PATH: scriptPath(here),
      PORT: "0",
      ROTATION_INTERVAL: "0",
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
    },
  }),
);
