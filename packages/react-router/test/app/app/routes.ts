import { type RouteConfig, route } from "@react-router/dev/routes";

export default [
  ...[
    "public",
    "theme",
    "cached",
    "login",
    "me",
    "transfer",
    "rotate",
    "step-up",
    "logout",
    "logout-everywhere",
    "boom",
    "devices",
    "go",
  ].map((path) => route(path, `routes/${path}.ts`)),
  route("account", "routes/account.tsx"),
  // The levers and the DBSC routes answer in middleware; these make their paths match.
  route("test-only/*", "routes/not-found.ts", { id: "test-only" }),
  route("tessera/dbsc/*", "routes/not-found.ts", { id: "dbsc" }),
] satisfies RouteConfig;
