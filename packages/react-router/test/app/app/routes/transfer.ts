import { requireFresh } from "@tessera/react-router";
import type { ActionFunctionArgs } from "react-router";

export function action(args: ActionFunctionArgs) {
  requireFresh(args);
  return Response.json({ transferred: true });
}
