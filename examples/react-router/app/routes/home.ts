import { getSession } from "@tessera/react-router";
import { type LoaderFunctionArgs, redirect } from "react-router";

export function loader(args: LoaderFunctionArgs) {
  return redirect(getSession(args) ? "/devices" : "/login", 303);
}
