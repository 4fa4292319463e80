import type { Config } from "@react-router/dev/config";

// Tessera runs as route middleware: on by this flag until React Router 8.
export default { ssr: true, future: { v8_middleware: true } } satisfies Config;
