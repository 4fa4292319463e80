/**
 * The reference routes (REFERENCE_ROUTES and POLICY_ROUTES of @tessera/test-kit) as route
 * handlers on `withSession`. Each route file exports one of these; they are rebuilt when a test reconfigures
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
        const body = (await request.json()) as {
          user: string;
          data?: Record<string, unknown>;
          policy?: string;
        };
        const { session: created, token } = await t.login({
          userId: body.user,
          data: body.data,
          policy: body.policy,
        });
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
          impersonatedBy: t.session!.impersonatedBy,
          policy: t.session!.policy,
        }),
      session,
    ),
    startGuest: withSession(
      sessions,
      async (request, t) => {
        const body = (await request.json().catch(() => ({}))) as {
          data?: Record<string, unknown>;
        };
        const guest = await t.startGuest(body.data);
        return Response.json({ guest: guest?.id ?? null });
      },
      options,
    ),
    guest: withSession(
      sessions,
      async (_r, t) => Response.json({ guest: t.guest?.data ?? null }),
      options,
    ),
    impersonate: withSession(
      sessions,
      async (request, t) => {
        const body = (await request.json()) as { user: string; reason: string };
        const { session: acting } = await t.impersonate(body.user, { reason: body.reason });
        return Response.json({ user: acting.userId, impersonatedBy: acting.impersonatedBy });
      },
      session,
    ),
    stopImpersonating: withSession(
      sessions,
      async (_r, t) => Response.json({ user: (await t.stopImpersonating())?.userId ?? null }),
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
