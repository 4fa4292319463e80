import { json } from "@sveltejs/kit";

export const GET = ({ locals }) =>
  json(
    { user: locals.session?.userId ?? null },
    { headers: { "cache-control": "public, max-age=60" } },
  );
