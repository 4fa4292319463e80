import { createClient, createCluster } from "redis";
import { nodeRedisSuites } from "./node-redis-suites.js";

await nodeRedisSuites("v5", { createClient, createCluster });
