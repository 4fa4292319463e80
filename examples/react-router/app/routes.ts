import { index, type RouteConfig, route } from "@react-router/dev/routes";

export default [
  index("routes/home.ts"),
  route("login", "routes/login.tsx"),
  route("devices", "routes/devices.tsx"),
  route("security", "routes/security.tsx"),
] satisfies RouteConfig;
