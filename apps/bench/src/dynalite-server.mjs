// dynalite in a process of its own (see dynalite.ts): in memory, tables ACTIVE at once, on a
// free loopback port, which it reports over IPC. Ends with its parent.
import dynalite from "dynalite";

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: server.address().port });
});
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
