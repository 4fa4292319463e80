// The part of Deno's global API this example uses, for `tsc` in the monorepo (Deno itself
// knows its types).
declare namespace Deno {
  const env: { get(name: string): string | undefined };
  function serve(
    options: {
      hostname: string;
      port: number;
      onListen(address: { hostname: string; port: number }): void;
    },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): unknown;
}
