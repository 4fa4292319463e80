declare module "dynalite" {
  import type { Server } from "node:http";

  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    path?: string;
  }

  /** dynalite's factory: an http.Server speaking the DynamoDB API, in memory by default. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
