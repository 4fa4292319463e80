/** POST /api/profile: a state-changing route handler, guarded against CSRF and stale logins. */
import { withSession } from "@tessera/next";
import { sessions } from "@/lib/sessions";

export const POST = withSession(
  sessions,
  async (request, { session }) => {
    const body = (await request.json().catch(() => ({}))) as { displayName?: unknown };
    const displayName = typeof body.displayName === "string" ? body.displayName.slice(0, 60) : "";
    await sessions.update(session!.id, (data) => ({ ...data, displayName }));
    return Response.json({ ok: true, displayName });
  },
  { require: "fresh" },
);
