import { getTessera } from "@tessera/react-router";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "react-router";

export function loader(args: LoaderFunctionArgs) {
  return Response.json({ guest: getTessera(args).guest?.data ?? null });
}

export async function action(args: ActionFunctionArgs) {
  const text = await args.request.text();
  const body = (text ? JSON.parse(text) : {}) as { data?: Record<string, unknown> };
  const guest = await getTessera(args).startGuest(body.data);
  return Response.json({ guest: guest?.id ?? null });
}
