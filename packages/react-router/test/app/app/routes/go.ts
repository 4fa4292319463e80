import type { LoaderFunctionArgs } from "react-router";

/** A raw `Response.redirect` (immutable headers): the rotated cookie must still go out. */
export const loader = ({ request }: LoaderFunctionArgs) =>
  Response.redirect(new URL("/public", request.url), 303);
