import { answerStoreError } from "@tessera/h3";

// Tessera's store failures in handlers answer 503; the app's own errors answer 500 its way.
export default defineNitroPlugin((nitro) => {
  nitro.hooks.hook("error", (error, { event }) => {
    if (!event || answerStoreError(error, event) || event.handled) return;
    const res = event.node.res;
    res.statusCode = 500;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ appError: ((error.cause as Error | undefined) ?? error).name }));
  });
});
