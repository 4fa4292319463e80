/** A raw `Response.redirect` (immutable headers): the rotated cookie must still go out. */
export const GET = ({ url }) => Response.redirect(new URL("/public", url), 303);
