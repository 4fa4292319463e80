/**
 * A loopback TCP proxy in front of a store: passes bytes, adds a delay to every chunk (a slow
 * store), or refuses connections (closes its port and cuts open connections) for a while.
 */
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
