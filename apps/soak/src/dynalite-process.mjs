// dynalite as its own process, on a LevelDB folder, so the soak can kill and restart it.
import dynalite from "dynalite";

const [path, port] = process.argv.slice(2);
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(Number(port), "127.0.0.1", () => console.log("dynalite ready"));
