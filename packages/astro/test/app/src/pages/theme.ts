import type { APIRoute } from "astro";

export const GET: APIRoute = ({ locals, cookies }) => {
  cookies.set("theme", "dark", { path: "/" });
  return Response.json({ user: locals.session?.userId ?? null });
};
