import { tessera } from "@tessera/h3";

// Every request: the CSRF rule, the session (event.context.session), the rotated cookie.
export default tessera(sessions);
