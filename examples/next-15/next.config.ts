import type { NextConfig } from "next";

const config: NextConfig = {
  // The example is a test fixture as much as a demo: no source maps, no telemetry prompts.
  productionBrowserSourceMaps: false,
  poweredByHeader: false,
};

export default config;
