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
    "guest",
    "impersonate",
  ].map((path) => route(path, `routes/${path}.ts`)),
  route("account", "routes/account.tsx"),
  route("impersonation/stop", "routes/impersonation-stop.ts"),
  // The levers and the DBSC routes answer in middleware; these make their paths match.
  route("test-only/*", "routes/not-found.ts", { id: "test-only" }),
  route("tessera/dbsc/*", "routes/not-found.ts", { id: "dbsc" }),
] satisfies RouteConfig;
