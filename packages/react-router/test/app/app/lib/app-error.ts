import { createContext } from "react-router";

/** The error a loader or an action threw, as the app's own handleError saw it. */
export const appErrorContext = createContext<Error | null>(null);
