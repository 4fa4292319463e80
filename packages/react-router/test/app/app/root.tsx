import type { MiddlewareFunction } from "react-router";
import { isRouteErrorResponse, Outlet, Scripts, useRouteError } from "react-router";
import { appErrorContext } from "./lib/app-error";
import { reference } from "./lib/reference";

/** TEST-ONLY levers (configure, clock, store, events): 404 without TESSERA_REFERENCE_TEST_HOOKS=1. */
const levers: MiddlewareFunction<Response> = async ({ request }, next) =>
  (await reference.answer(request)) ?? next();

/**
 * The app's own middleware before Tessera's: a cookie of its own on every answer, and its own
 * error answer (500 { appError }) for errors that are not Tessera's.
 */
const early: MiddlewareFunction<Response> = async ({ context }, next) => {
  let response = await next();
  const error = context.get(appErrorContext);
  if (error && response.status === 500) {
    response = Response.json({ appError: error.name }, { status: 500 });
  }
  response.headers.append("set-cookie", "early=1; Path=/");
  return response;
};

/** Tessera's middleware, as the current configuration mounted it. */
const tessera: MiddlewareFunction<Response> = (args, next) =>
  reference.current().mounted(args, next);

export const middleware = [levers, early, tessera];

export default function App() {
  return (
    <html lang="en">
      <body>
        <Outlet />
        <Scripts />
      </body>
    </html>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  return (
    <html lang="en">
      <body>
        <h1 id="error">
          {isRouteErrorResponse(error) ? `${error.status} ${error.data}` : "error"}
        </h1>
      </body>
    </html>
  );
}
