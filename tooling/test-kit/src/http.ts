/** Real HTTP for integration tests: a server on a free loopback port and a browser-like client. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { onTestFinished } from "vitest";

/** Starts `server` listening on a free loopback port; resolves its base URL and a closer. */
export async function listen(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * `listen` for the test that calls it: the server is closed when that test finishes, passed or
 * failed. Resolves the server's base URL.
 */
export async function listenForTest(server: Server): Promise<string> {
  const { url, close } = await listen(server);
  onTestFinished(close);
  return url;
}

/** One HTTP answer, read whole. */
export interface Answer {
  status: number;
  /** The body parsed as JSON, or its text when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path, each knowing its shape
  body: any;
  headers: Headers;
  /** Every `Set-Cookie` header, in order. */
  cookies: string[];
  /** The `Set-Cookie` value for cookie `name`, if the answer set it. */
  cookie(name: string): string | undefined;
}

/** What one request sends besides method and path. */
export interface RequestOptions {
  /** Sent as a JSON body with `content-type: application/json`. */
  json?: unknown;
  /** Extra headers; a `cookie` header here replaces the jar's cookies for this request. */
  headers?: Record<string, string>;
  /** Sent as `authorization: Bearer <token>`. */
  bearer?: string;
  /**
   * Send no `Origin` / `Sec-Fetch-Site` headers, as a non-browser client (curl, a mobile app)
   * does. By default the client behaves like a browser on the same origin: unsafe requests carry
   * `Origin: <base>` and every request `Sec-Fetch-Site: same-origin`, unless `headers` set them.
   */
  bare?: boolean;
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A browser-like client: keeps cookies across requests (name=value only; Max-Age=0 or an
 * Expires in the past deletes), and says it is same-origin as a browser would (see `bare`).
 */
export class Client {
  /** The cookies the client sends, by name; tests may plant or read them. */
  readonly jar = new Map<string, string>();

  /** A client with an empty jar for the server at `base` (e.g. `http://127.0.0.1:1234`). */
  constructor(readonly base: string) {}

  /** Sends one request with the jar's cookies, stores the cookies of the answer and reads it. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.jar.size > 0 && !("cookie" in headers)) {
      headers.cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
    }
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (!options.bare && !("origin" in headers) && !("sec-fetch-site" in headers)) {
      headers["sec-fetch-site"] = "same-origin";
      if (!SAFE.has(method)) headers.origin = new URL(this.base).origin;
    }
    if (options.json !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(this.base + path, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    const text = await response.text();
    const cookies = response.headers.getSetCookie();
    for (const line of cookies) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      if (/;\s*Max-Age=0(;|$)/i.test(line) || /;\s*Expires=Thu, 01 Jan 1970/i.test(line)) {
        this.jar.delete(name);
      } else this.jar.set(name, pair.slice(eq + 1).trim());
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return {
      status: response.status,
      body,
      headers: response.headers,
      cookies,
      cookie: (name) => cookies.find((line) => line.startsWith(`${name}=`)),
    };
  }

  /** `GET path`. */
  get(path: string, options?: RequestOptions): Promise<Answer> {
    return this.request("GET", path, options);
  }

  /** `POST path`. */
  post(path: string, options?: RequestOptions): Promise<Answer> {
    return this.request("POST", path, options);
  }
}
