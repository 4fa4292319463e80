/**
 * The documentation's code blocks, read from the pages' markdown as a reader sees them, so a test
 * runs exactly what the page shows. A runnable example is a fenced block with a file name as
 * its title (```js [app.mjs]), usually inside a `::: code-group`.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const docsDir = fileURLToPath(new URL("..", import.meta.url));

/** The code of the block titled `title` on `page` (e.g. "guide/express.md"); throws if absent. */
export function codeBlock(page: string, title: string): string {
  const markdown = readFileSync(join(docsDir, page), "utf8");
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const blocks = [
    ...markdown.matchAll(new RegExp(`^\`\`\`\\w+ \\[${escaped}\\]\\n([\\s\\S]*?)^\`\`\`$`, "gm")),
  ];
  if (blocks.length !== 1) {
    throw new Error(
      `${page} should have exactly one code block titled [${title}], has ${blocks.length}`,
    );
  }
  return blocks[0]![1]!;
}

/**
 * A directory for one page's examples inside the docs package, so `import "@tessera/express"`
 * resolves to the workspace package, built, as a user's `node_modules` would.
 */
export function exampleDir(name: string): string {
  const dir = join(docsDir, ".tmp", "examples", name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
