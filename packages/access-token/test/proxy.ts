/** A TCP proxy for the revocation tests: one process's way to Redis, to cut and restore. */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { freePort } from "../../redis/test/servers.js";

/** A TCP proxy to Redis that the test can cut (every connection dropped) and restore. */
export async function startProxy(target: () => number) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = tcpConnect(target(), "127.0.0.1");
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => resolve());
    });
  await listen();
  return {
    port,
    async cut() {
      const closing = new Promise((resolve) => server?.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closing;
    },
    restore: listen,
  };
}
