/**
 * Starts dynalite (DynamoDB's API in memory) in the vitest main process on a free loopback port
 * for the whole run, hands its URL to the test files, and stops it at the end.
 */
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  // Tables become ACTIVE at once, as tests do not need to watch CREATING go by.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
  } catch (error) {
    // dynalite is started here, not found on the machine: failing to start it always fails the run.
    throw new Error(`could not start dynalite on 127.0.0.1: ${String(error)}`);
  }
  const { port } = server.address() as AddressInfo;
  project.provide("dynamodbEndpoint", `http://127.0.0.1:${port}`);
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
