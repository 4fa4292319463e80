import type { Options } from "tsup";

/**
 * Shared build settings: every package ships ESM + CJS with `.d.ts`/`.d.cts`.
 * A package's own `tsup.config.ts` only names its entries (and externals, if any).
 */
export function packageBuild(entry: Record<string, string>, extra: Partial<Options> = {}): Options {
  return {
    entry,
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "es2022",
    splitting: false,
    treeshake: true,
    ...extra,
  };
}
