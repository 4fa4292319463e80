import { createClient, createCluster } from "redis-v6";
import { nodeRedisSuites } from "./node-redis-suites.js";

// node-redis 6 speaks RESP3 by default: the store reads the same replies through it.
await nodeRedisSuites("v6", { createClient, createCluster });
