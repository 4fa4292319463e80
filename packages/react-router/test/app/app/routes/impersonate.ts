import { getTessera, requireSession } from "@tessera/react-router";
import type { ActionFunctionArgs } from "react-router";

export async function action(args: ActionFunctionArgs) {
  requireSession(args);
  const body = (await args.request.json()) as { user: string; reason: string };
  const { session } = await getTessera(args).impersonate(body.user, { reason: body.reason });
  return Response.json({ user: session.userId, impersonatedBy: session.impersonatedBy });
}
