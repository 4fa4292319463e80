import { getTessera, requireSession } from "@tessera/react-router";
import type { ActionFunctionArgs } from "react-router";

export async function action(args: ActionFunctionArgs) {
  requireSession(args);
  return Response.json({ user: (await getTessera(args).stopImpersonating())?.userId ?? null });
}
