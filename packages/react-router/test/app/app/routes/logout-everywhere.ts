import { getTessera, requireSession } from "@tessera/react-router";
import type { ActionFunctionArgs } from "react-router";

export async function action(args: ActionFunctionArgs) {
  requireSession(args);
  const body = (await args.request.json().catch(() => ({}))) as { keepCurrent?: boolean };
  return Response.json({ ended: await getTessera(args).logoutEverywhere(body) });
}
