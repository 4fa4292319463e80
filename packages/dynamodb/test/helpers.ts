import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { inject } from "vitest";

/** dynalite's URL, started by the global setup. */
export const endpoint = inject("dynamodbEndpoint");

/** A real SDK client for a loopback endpoint: dummy credentials, few retries. */
export function makeClient(url = endpoint, config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "tessera-test", secretAccessKey: "tessera-test" },
    maxAttempts: 2,
    ...config,
  });
}

let tables = 0;
/** A table name no other test (or run) uses. */
export function uniqueTableName(label: string): string {
  tables += 1;
  return `tessera-${label}-${process.pid}-${Date.now().toString(36)}-${tables}`;
}

/** What the proxy does with the next requests. */
export type ProxyMode =
  /** Forward everything to dynalite. */
  | "pass"
  /** Answer every request as DynamoDB does when a table's throughput is exceeded. */
  | "throttle"
  /** Let dynalite serve only half of each BatchGetItem and return the rest as unprocessed. */
  | "half-batches"
  /**
   * Answer a `Query` on a secondary index as a lagging global secondary index would: items put
   * within the last `indexLagMs` are not in it yet. (dynalite updates its indexes at once.)
   */
  | "lagging-index";

/**
 * A real HTTP server on loopback between the SDK and dynalite, for what dynalite does not do:
 * throttling, partial batches, an endpoint that goes away and comes back, and `UpdateTimeToLive`
 * (which dynalite does not implement; the proxy records it and answers as DynamoDB does).
 */
export class DynamoProxy {
  mode: ProxyMode = "pass";
  /** Requests received, by operation (`x-amz-target` without the API version). */
  readonly calls: Record<string, number> = {};
  /** Bodies of the `UpdateTimeToLive` requests received. */
  readonly ttlRequests: unknown[] = [];
  /** Bodies of the `Query` requests received. */
  readonly queries: Record<string, unknown>[] = [];
  /** How far behind the table a secondary index is in `lagging-index` mode. */
  indexLagMs = 2000;
  /** Partition key values (`pk`) of the items put, with when. */
  readonly #puts = new Map<string, number>();
  #server: Server;
  #port = 0;

  private constructor(readonly target: string) {
    this.#server = this.#create();
  }

  /** Starts a proxy to `target` on a free loopback port. */
  static async start(target = endpoint): Promise<DynamoProxy> {
    const proxy = new DynamoProxy(target);
    await proxy.#listen(0);
    return proxy;
  }

  /** The proxy's URL, stable across `down()` and `up()`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  #create(): Server {
    return createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const operation = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
        this.calls[operation] = (this.calls[operation] ?? 0) + 1;
        const answer = (status: number, json: unknown) => {
          res.writeHead(status, {
            "content-type": "application/x-amz-json-1.0",
            "x-amzn-requestid": `proxy-${Date.now()}`,
          });
          res.end(JSON.stringify(json));
        };
        if (this.mode === "throttle") {
          answer(400, {
            __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            message:
              "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
          });
          return;
        }
        if (operation === "UpdateTimeToLive") {
          const parsed = JSON.parse(body) as { TimeToLiveSpecification: unknown };
          this.ttlRequests.push(parsed);
          answer(200, { TimeToLiveSpecification: parsed.TimeToLiveSpecification });
          return;
        }
        if (operation === "PutItem") {
          const key = (JSON.parse(body) as { Item?: { pk?: { S?: string } } }).Item?.pk?.S;
          if (key !== undefined) this.#puts.set(key, Date.now());
        }
        if (operation === "Query") {
          const query = JSON.parse(body) as Record<string, unknown>;
          this.queries.push(query);
          if (this.mode === "lagging-index" && query.IndexName !== undefined) {
            void this.#laggingQuery(body, req.headers, answer);
            return;
          }
        }
        if (this.mode === "half-batches" && operation === "BatchGetItem") {
          void this.#halfBatch(body, req.headers, answer);
          return;
        }
        this.#forward(body, req.headers).then(
          ({ status, json }) => answer(status, json),
          () => answer(500, { __type: "com.amazonaws.dynamodb.v20120810#InternalServerError" }),
        );
      });
    });
  }

  async #laggingQuery(
    body: string,
    headers: Record<string, string | string[] | undefined>,
    answer: (status: number, json: unknown) => void,
  ) {
    const { status, json } = await this.#forward(body, headers);
    const page = json as { Items?: { pk?: { S?: string } }[]; Count?: number };
    const cutoff = Date.now() - this.indexLagMs;
    const items = (page.Items ?? []).filter((item) => {
      const put = item.pk?.S === undefined ? undefined : this.#puts.get(item.pk.S);
      return put === undefined || put < cutoff;
    });
    answer(status, { ...page, Items: items, Count: items.length });
  }

  async #halfBatch(
    body: string,
    headers: Record<string, string | string[] | undefined>,
    answer: (status: number, json: unknown) => void,
  ) {
    type Batch = { RequestItems: Record<string, { Keys: unknown[] }> };
    const request = JSON.parse(body) as Batch;
    const unprocessed: Batch["RequestItems"] = {};
    for (const [table, entry] of Object.entries(request.RequestItems)) {
      if (entry.Keys.length < 2) continue;
      const half = Math.ceil(entry.Keys.length / 2);
      unprocessed[table] = { ...entry, Keys: entry.Keys.slice(half) };
      entry.Keys = entry.Keys.slice(0, half);
    }
    const { status, json } = await this.#forward(JSON.stringify(request), headers);
    answer(status, { ...(json as object), UnprocessedKeys: unprocessed });
  }

  /** Sends the request on to dynalite (it does not check signatures, so re-sending is fine). */
  #forward(
    body: string,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        this.target,
        {
          method: "POST",
          headers: {
            "content-type": String(headers["content-type"]),
            "x-amz-target": String(headers["x-amz-target"]),
            authorization: String(headers.authorization),
            "x-amz-date": String(headers["x-amz-date"]),
            "content-length": Buffer.byteLength(body),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({ status: response.statusCode ?? 500, json: text ? JSON.parse(text) : {} });
          });
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, "127.0.0.1", () => {
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Closes the port and every open connection: the endpoint is down. */
  async down(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Listens on the same port again. */
  async up(): Promise<void> {
    this.#server = this.#create();
    await this.#listen(this.#port);
  }

  /** Stops the proxy for good. */
  async stop(): Promise<void> {
    if (this.#server.listening) await this.down();
  }
}
