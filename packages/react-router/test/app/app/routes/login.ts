import { getTessera } from "@tessera/react-router";
import type { ActionFunctionArgs } from "react-router";

export async function action(args: ActionFunctionArgs) {
  const body = (await args.request.json()) as { user: string; data?: { role: string } };
  const { session, token } = await getTessera(args).login(body.user, body.data);
  return Response.json({ user: session.userId, token });
}
