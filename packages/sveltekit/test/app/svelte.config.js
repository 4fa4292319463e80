import adapter from "@sveltejs/adapter-node";

/** The reference app of @tessera/test-kit on SvelteKit, built with adapter-node. */
export default {
  kit: {
    adapter: adapter(),
    // The package under test, from its source (no build of the package needed).
    alias: { "@tessera/sveltekit": "../../src/index.ts" },
  },
};
