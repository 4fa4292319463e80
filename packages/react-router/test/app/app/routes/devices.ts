import { getTessera, requireSession } from "@tessera/react-router";
import type { LoaderFunctionArgs } from "react-router";

export async function loader(args: LoaderFunctionArgs) {
  const session = requireSession(args);
  const list = await getTessera(args).sessions.list(session.userId, { current: session.id });
  return Response.json({
    devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
  });
}
