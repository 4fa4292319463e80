import { tesseraHandleError } from "@tessera/react-router";
import { renderToString } from "react-dom/server";
import { type EntryContext, type RouterContextProvider, ServerRouter } from "react-router";
import { appErrorContext } from "./lib/app-error";

export default function handleRequest(
  request: Request,
  status: number,
  headers: Headers,
  routerContext: EntryContext,
) {
  const html = renderToString(<ServerRouter context={routerContext} url={request.url} />);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(`<!DOCTYPE html>${html}`, { status, headers });
}

// The app's own error handler records the error; its middleware answers it (app/root.tsx).
export const handleError = tesseraHandleError(
  (error: unknown, { context }: { context: RouterContextProvider }) => {
    context.set(appErrorContext, error as Error);
  },
);
