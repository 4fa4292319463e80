import { MemoryStore } from "@tessera/core";
import { runStoreConformance } from "../src/index.js";

// MemoryStore is the reference implementation: the suite must pass on it before any adapter.
runStoreConformance("MemoryStore", () => new MemoryStore());
