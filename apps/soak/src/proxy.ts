/**
 * A loopback TCP proxy in front of a store: passes bytes, adds a delay to every chunk (a slow
 * store), or refuses connections (closes its port and cuts open connections) for a while. And an
 * HTTP proxy that answers DynamoDB calls with its throttling error for a while.
 */
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";

/** A running proxy. */
export class DelayProxy {
  delayMs = 0;
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    readonly target: { host: string; port: number },
  ) {}

  /** Starts a proxy to `target` on a free loopback port. */
  static async start(target: { host: string; port: number }): Promise<DelayProxy> {
    const probe = createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      }),
    );
    const proxy = new DelayProxy(port, target);
    await proxy.accept();
    return proxy;
  }

  #pipe(from: Socket, to: Socket) {
    // A FIFO per direction: chunks leave in the order they came, whatever the delay was when
    // each arrived (a reply overtaking another would turn the store into a different store).
    const queue: { at: number; send: () => void }[] = [];
    let timer: NodeJS.Timeout | null = null;
    const drain = () => {
      timer = null;
      while (queue.length > 0 && queue[0]!.at <= Date.now()) queue.shift()!.send();
      if (queue.length > 0) timer = setTimeout(drain, queue[0]!.at - Date.now());
    };
    const later = (send: () => void) => {
      queue.push({ at: Date.now() + this.delayMs, send });
      if (!timer) drain();
    };
    from.on("data", (chunk) => later(() => to.writable && to.write(chunk)));
    from.on("close", () => later(() => to.destroy()));
    from.on("error", () => to.destroy());
  }

  /** Listens (again) on the same port. */
  async accept(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on("close", () => this.#sockets.delete(socket));
      }
      this.#pipe(client, upstream);
      this.#pipe(upstream, client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.#server = server;
  }

  /** Closes the port and every open connection: connections are refused until `accept()`. */
  async refuse(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops for good. */
  async stop(): Promise<void> {
    await this.refuse();
  }
}

/** DynamoDB's answer to a call over a table's provisioned throughput (HTTP 400, AWS JSON 1.0). */
const THROTTLED_BODY = JSON.stringify({
  __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
  message:
    "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
});

/**
 * An HTTP proxy in front of dynalite that answers every call with DynamoDB's throttling error
 * while `throttling` is set, and forwards them otherwise. A call it cannot forward (dynalite is
 * stopped) has its connection cut, as a refused connection would.
 */
export class ThrottleProxy {
  throttling = false;
  /** Calls answered with the throttling error, and how many of them were SDK retries. */
  readonly counts = { throttled: 0, throttledRetries: 0 };
  #server: HttpServer | null = null;

  private constructor(readonly target: { host: string; port: number }) {}

  /** Starts a throttling proxy to `target` on a free loopback port. */
  static async start(target: { host: string; port: number }): Promise<ThrottleProxy> {
    const proxy = new ThrottleProxy(target);
    const server = createHttpServer((incoming, outgoing) => proxy.#handle(incoming, outgoing));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    proxy.#server = server;
    return proxy;
  }

  /** The proxy's port. */
  get port(): number {
    const address = this.#server?.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  #handle(incoming: IncomingMessage, outgoing: ServerResponse) {
    if (this.throttling) {
      this.counts.throttled++;
      // The SDK numbers its attempts: `amz-sdk-request: attempt=2; max=2`.
      if (!/attempt=1\b/.test(String(incoming.headers["amz-sdk-request"] ?? "attempt=1"))) {
        this.counts.throttledRetries++;
      }
      incoming.resume();
      incoming.on("end", () => {
        outgoing.writeHead(400, {
          "content-type": "application/x-amz-json-1.0",
          "x-amzn-requestid": `soak-${this.counts.throttled}`,
          "content-length": Buffer.byteLength(THROTTLED_BODY),
        });
        outgoing.end(THROTTLED_BODY);
      });
      return;
    }
    const upstream = httpRequest(
      {
        host: this.target.host,
        port: this.target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on("error", () => incoming.socket.destroy());
    incoming.pipe(upstream);
  }

  /** Stops for good. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
