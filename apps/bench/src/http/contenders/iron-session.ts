/**
 * iron-session: the whole session sealed (AES-256-CBC + HMAC-SHA-256, iron format) in the
 * cookie, no store. Unsealed on every request.
 */
import { getIronSession, type SessionOptions } from "iron-session";
import { defineContender } from "../contender.js";
import { authApp, loginThroughHttp } from "../express-kit.js";

const options: SessionOptions = {
  password: "bench-only password of at least thirty-two characters",
  cookieName: "session",
  cookieOptions: { secure: true, httpOnly: true, sameSite: "lax" },
};

export default defineContender(async (context) => ({
  app: authApp(
    async (req, res) => {
      const session = await getIronSession<{ userId?: string }>(req, res, options);
      return session.userId ?? null;
    },
    (app) =>
      app.post("/login", async (req, res) => {
        const session = await getIronSession<{ userId?: string }>(req, res, options);
        session.userId = context.userId;
        await session.save();
        res.status(204).end();
      }),
  ),
  prepare: async (selfUrl) => ({
    setCookie: await loginThroughHttp(`${selfUrl}/login`),
    userId: context.userId,
    storedBytes: null,
  }),
}));
