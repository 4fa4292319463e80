/**
 * The item codec alone, in process: `fromItem` and `toItem` of a realistic record, microseconds
 * per call. Bundle and run from the package (esbuild is in the workspace through tsup):
 *
 *   $(ls -d ../../node_modules/.pnpm/esbuild@*\/node_modules/esbuild/bin/esbuild | head -1) \
 *     bench/codec.ts --bundle --platform=node --format=esm --outfile=/tmp/codec.mjs && node /tmp/codec.mjs
 */
import type { SessionRecord } from "@tessera/core/store";
import { fromItem, toItem } from "../src/item.js";
import { resolveLayout } from "../src/layout.js";

const layout = resolveLayout({ tableName: "bench" });
const now = Date.now();
const record: SessionRecord = {
  id: "benchsessionid0123456789",
  userId: "user-42",
  policy: "default",
  impersonatedBy: null,
  version: 3,
  secretHash: "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c",
  previousSecretHash: "z0x9c8v7b6n5m4l3k2j1h0g9f8d7s6a5p4o3i2u1y0t",
  rotationNonce: null,
  retiredSecretHashes: ["m1n2b3v4c5x6z7l8k9j0h1g2f3d4s5a6p7o8i9u0y1t"],
  data: { theme: "dark", cart: [1, 2, 3], flags: { beta: true } },
  createdAt: now,
  authenticatedAt: now,
  freshUntil: now + 600_000,
  lastActiveAt: now,
  rotatedAt: now,
  expiresAt: now + 3_600_000,
  absoluteExpiresAt: now + 86_400_000,
  client: { ip: "203.0.113.7", ua: "chrome/131/macos" },
  dbsc: null,
};
const item = toItem(layout, record);
const calls = 200_000;
for (let round = 0; round < 5; round++) {
  let start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fromItem(layout, item);
  const read = Number(process.hrtime.bigint() - start) / calls / 1000;
  start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) toItem(layout, record);
  const write = Number(process.hrtime.bigint() - start) / calls / 1000;
  console.log(`fromItem ${read.toFixed(2)} µs   toItem ${write.toFixed(2)} µs`);
}
