/** GET /api/me: the session as JSON, for browsers (cookie) and bearer clients alike. */
import { withSession } from "@tessera/next";
import { sessions } from "@/lib/sessions";

export const GET = withSession(
  sessions,
  async (_request, { session }) =>
    Response.json({
      userId: session?.userId,
      sessionId: session?.id,
      fresh: session?.fresh,
      client: session?.client,
    }),
  { require: "session" },
);
