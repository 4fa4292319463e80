/**
 * POST /api/login {username, password}: for clients without forms (mobile, CLI, tests). Sets
 * the cookie for browsers and returns the token once for bearer clients.
 */
import { withSession } from "@tessera/next";
import { sessions } from "@/lib/sessions";
import { checkCredentials } from "@/lib/users";

export const POST = withSession(sessions, async (request, tessera) => {
  const body = (await request.json().catch(() => null)) as Record<string, unknown> | null;
  const userId = checkCredentials(body?.username, body?.password);
  if (!userId) return Response.json({ error: "invalid-credentials" }, { status: 401 });
  const { session, token } = await tessera.login({ userId, data: { loginMethod: "api" } });
  return Response.json({ userId, sessionId: session.id, token });
});
