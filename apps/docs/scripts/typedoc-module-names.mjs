/**
 * A TypeDoc plugin: names each module of the API reference after the import a user writes
 * (`@tessera/core`, `@tessera/core/http`, ...) instead of its source path. The names come from
 * `.tmp/typedoc/modules.json`, written by generate.mjs from the packages' `exports` maps.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Converter, ReflectionKind } from "typedoc";

const modules = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  ".tmp",
  "typedoc",
  "modules.json",
);

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const names = new Map(
      JSON.parse(readFileSync(modules, "utf8")).map(({ name, source }) => [source, name]),
    );
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const name = names.get(module.sources?.[0]?.fullFileName);
      if (name) module.name = name;
    }
  });
}
