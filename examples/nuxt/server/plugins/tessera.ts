import { answerStoreError } from "@tessera/h3";

// A login or logout that hits a store outage answers 503, not Nuxt's 500 page.
export default defineNitroPlugin((nitro) => {
  nitro.hooks.hook("error", (error, { event }) => {
    if (event) answerStoreError(error, event);
  });
});
