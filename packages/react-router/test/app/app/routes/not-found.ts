export const loader = () => new Response("Not found", { status: 404 });
export const action = loader;
