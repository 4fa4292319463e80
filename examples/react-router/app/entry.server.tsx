import { tesseraHandleError } from "@tessera/react-router";
import { renderToReadableStream } from "react-dom/server";
import { type EntryContext, ServerRouter } from "react-router";

export default async function handleRequest(
  request: Request,
  status: number,
  headers: Headers,
  routerContext: EntryContext,
) {
  const body = await renderToReadableStream(
    <ServerRouter context={routerContext} url={request.url} />,
    { signal: request.signal },
  );
  await body.allReady; // the whole page at once: forms work without JavaScript
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(body, { status, headers });
}

// A store failure in a loader or an action answers 503, as the middleware does.
export const handleError = tesseraHandleError();
