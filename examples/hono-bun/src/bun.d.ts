// The part of Bun's global API this example uses, for `tsc` in the monorepo (Bun itself knows
// its types).
declare namespace Bun {
  const env: Record<string, string | undefined>;
  function serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request, server: unknown) => Response | Promise<Response>;
  }): { url: URL };
}
