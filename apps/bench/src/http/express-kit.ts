/**
 * The shape every contender's app shares, so only the authentication step differs: Express 5,
 * `GET /me`, `200 {"userId"}` or `401 {"error":"unauthenticated"}`.
 */
import express, { type Express, type Request, type Response } from "express";

/** Resolves the request's user id, or `null` for an unauthenticated request. */
export type Authenticate = (req: Request, res: Response) => Promise<string | null> | string | null;

/** An Express 5 app with `GET /me` guarded by `authenticate`. */
export function authApp(authenticate: Authenticate, setup?: (app: Express) => void): Express {
  const app = express();
  app.disable("x-powered-by");
  setup?.(app);
  app.get("/me", async (req, res) => {
    const userId = await authenticate(req, res);
    if (userId === null) {
      res.status(401).json({ error: "unauthenticated" });
      return;
    }
    res.json({ userId });
  });
  return app;
}

/** A `Set-Cookie` header from a response of this server's own login route. */
export async function loginThroughHttp(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: "POST", headers });
  const setCookie = response.headers.getSetCookie()[0];
  if (!response.ok || !setCookie) {
    throw new Error(`login at ${url} answered ${response.status} without a cookie`);
  }
  return setCookie;
}
