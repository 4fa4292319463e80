import { json } from "@sveltejs/kit";

export const POST = async ({ locals }) => json({ ended: await locals.tessera.logout() });
