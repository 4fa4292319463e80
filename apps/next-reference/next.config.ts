import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  // The store levers are TypeScript source in a private workspace package.
  transpilePackages: ["@tessera/testing"],
};

export default config;
