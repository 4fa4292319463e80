import { json } from "@sveltejs/kit";

export const GET = ({ locals }) => json({ user: locals.session?.userId ?? null });
