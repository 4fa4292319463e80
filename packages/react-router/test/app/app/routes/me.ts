import { getTessera, requireSession } from "@tessera/react-router";
import type { LoaderFunctionArgs } from "react-router";

export function loader(args: LoaderFunctionArgs) {
  const session = requireSession(args);
  return Response.json({
    user: session.userId,
    id: session.id,
    data: session.data,
    fresh: session.fresh,
    ip: session.client.ip ?? null,
    source: getTessera(args).source,
    deviceBound: session.deviceBound,
    impersonatedBy: session.impersonatedBy,
    policy: session.policy,
  });
}
