import { getTessera } from "@tessera/react-router";
import type { ActionFunctionArgs } from "react-router";

export async function action(args: ActionFunctionArgs) {
  const body = (await args.request.json()) as {
    user: string;
    data?: { role: string };
    policy?: string;
  };
  const { user: userId, data, policy } = body;
  const { session, token } = await getTessera(args).login({ userId, data, policy });
  return Response.json({ user: session.userId, token });
}
