import { getTessera } from "@tessera/react-router";
import type { ActionFunctionArgs } from "react-router";

export async function action(args: ActionFunctionArgs) {
  return Response.json({ ended: await getTessera(args).logout() });
}
