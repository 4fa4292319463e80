import { getSession } from "@tessera/react-router";
import type { LoaderFunctionArgs } from "react-router";

export const loader = (args: LoaderFunctionArgs) =>
  Response.json(
    { user: getSession(args)?.userId ?? null },
    { headers: { "cache-control": "public, max-age=60" } },
  );
