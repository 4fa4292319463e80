// With `dbsc`, the Tessera middleware answers these paths itself; this route makes them match.
export const ALL = () => new Response("Not found", { status: 404 });
