import { json } from "@sveltejs/kit";

export const GET = ({ locals, cookies }) => {
  cookies.set("theme", "dark", { path: "/" });
  return json({ user: locals.session?.userId ?? null });
};
