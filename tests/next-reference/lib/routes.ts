/**
 * The reference routes (REFERENCE_ROUTES of @tessera/test-kit) as route handlers on
 * `withSession`. Each route file exports one of these; they are rebuilt when a test reconfigures
 * the app.
 */
import { withSession } from "@tessera/next";
import { current } from "./reference";

type Handler = (request: Request, context: unknown) => Promise<Response>;
type Built = Record<string, Handler>;

const cache = new WeakMap<object, Built>();

function build(): Built {
  const { sessions, options } = current();
  const session = { ...options, require: "session" as const };
  const user = (id: string | undefined) => ({ user: id ?? null });
  return {
    public: withSession(sessions, async (_r, t) => Response.json(user(t.session?.userId)), options),
    theme: withSession(
      sessions,
      async (_r, t) =>
        Response.json(user(t.session?.userId), { headers: { "set-cookie": "theme=dark; Path=/" } }),
      options,
    ),
    cached: withSession(
      sessions,
      async (_r, t) =>
        Response.json(user(t.session?.userId), {
          headers: { "cache-control": "public, max-age=60" },
        }),
      options,
    ),
    login: withSession(
      sessions,
      async (request, t) => {
        const body = (await request.json()) as { user: string; data?: Record<string, unknown> };
        const { session: created, token } = await t.login(body.user, body.data);
        return Response.json({ user: created.userId, token });
      },
      options,
    ),
    me: withSession(
      sessions,
      async (_r, t) =>
        Response.json({
          user: t.session!.userId,
          id: t.session!.id,
          data: t.session!.data,
          fresh: t.session!.fresh,
          ip: t.session!.client.ip ?? null,
          source: t.source,
        }),
      session,
    ),
    transfer: withSession(sessions, async () => Response.json({ transferred: true }), {
      ...options,
      require: "fresh",
    }),
    rotate: withSession(
      sessions,
      async (_r, t) => Response.json({ rotated: (await t.rotate()) !== null }),
      session,
    ),
    stepUp: withSession(
      sessions,
      async (_r, t) => Response.json({ fresh: (await t.reauthenticate())?.fresh ?? false }),
      session,
    ),
    logout: withSession(
      sessions,
      async (_r, t) => Response.json({ ended: await t.logout() }),
      options,
    ),
    logoutEverywhere: withSession(
      sessions,
      async (request, t) => {
        const body = (await request.json().catch(() => ({}))) as { keepCurrent?: boolean };
        return Response.json({
          ended: await t.logoutEverywhere({ keepCurrent: body.keepCurrent }),
        });
      },
      session,
    ),
    boom: withSession(
      sessions,
      async () => {
        throw new Error("an application bug");
      },
      options,
    ),
  };
}

/** The route handler `name` of the current app. */
export function route(name: string): Handler {
  return async (request, context) => {
    const reference = current();
    let built = cache.get(reference);
    if (!built) {
      built = build();
      cache.set(reference, built);
    }
    try {
      return await built[name]!(request, context);
    } catch (error) {
      // The application's own error handling: errors that are not Tessera's are its to answer.
      return Response.json({ appError: (error as Error).name }, { status: 500 });
    }
  };
}
