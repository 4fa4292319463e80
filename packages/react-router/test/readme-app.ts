/**
 * The README's quick start as pasted, as an app under `.tmp/readme-app`, with the Vite config
 * and the package.json `npx create-react-router` writes besides.
 */
import { fileURLToPath } from "node:url";
import { writeQuickStartApp } from "@tessera/test-kit";

export function writeReadmeApp(): string {
  return writeQuickStartApp(fileURLToPath(new URL("..", import.meta.url)), {
    files: [
      "react-router.config.ts",
      "app/root.tsx",
      "app/routes.ts",
      "app/routes/login.ts",
      "app/routes/me.ts",
      "app/routes/logout-everywhere.ts",
    ],
    extra: {
      // What the template's package.json lists (React Router reads it to pick the server entry).
      "package.json": `${JSON.stringify({
        private: true,
        type: "module",
        dependencies: {
          "@react-router/node": "^7",
          "@react-router/serve": "^7",
          "@tessera/core": "*",
          "@tessera/react-router": "*",
          isbot: "^5",
          react: "^19",
          "react-dom": "^19",
          "react-router": "^7",
        },
      })}\n`,
      "vite.config.ts":
        'import { reactRouter } from "@react-router/dev/vite";\nexport default { plugins: [reactRouter()], logLevel: "warn" };\n',
    },
  });
}
