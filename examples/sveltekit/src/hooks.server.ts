import { tessera, tesseraHandleError } from "@tessera/sveltekit";
import { sessions } from "$lib/server/sessions";

export const handle = tessera(sessions);
export const handleError = tesseraHandleError();
