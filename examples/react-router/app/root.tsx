import { tessera } from "@tessera/react-router";
import { isRouteErrorResponse, Outlet, Scripts, useRouteError } from "react-router";
import { sessions } from "./lib/sessions.server";

export const middleware = [tessera(sessions)];

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

/** A guard's thrown answer (401, 403 not-fresh) on a page. */
export function ErrorBoundary() {
  const error = useRouteError();
  return (
    <html lang="en">
      <body>
        <h1 id="error">
          {isRouteErrorResponse(error) ? `${error.status}` : "Something went wrong."}
        </h1>
        <a href="/">Back</a>
      </body>
    </html>
  );
}
