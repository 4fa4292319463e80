// The levers answer in src/middleware.ts; this route only makes their paths match.
export const ALL = () => new Response("Not found", { status: 404 });
