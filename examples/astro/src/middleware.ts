import { tessera } from "@tessera/astro";
import { sessions } from "./lib/sessions";

export const onRequest = tessera(sessions);
