import { getSession, getTessera, requireFresh, requireSession } from "@tessera/react-router";
import {
  type ActionFunctionArgs,
  data,
  Form,
  type LoaderFunctionArgs,
  redirect,
  useActionData,
  useLoaderData,
} from "react-router";
import { passwordMatches, setPassword } from "../lib/sessions.server";

export function loader(args: LoaderFunctionArgs) {
  if (!getSession(args)) throw redirect("/login", 303);
  return { fresh: requireSession(args).fresh };
}

export async function action(args: ActionFunctionArgs) {
  const form = await args.request.formData();
  const password = form.get("password");
  if (form.get("intent") === "stepUp") {
    // Step-up: the user typed the password again; a new secret, fresh again.
    const session = requireSession(args);
    if (!passwordMatches(session.userId, password)) {
      return data({ error: "Wrong password.", ended: null }, { status: 400 });
    }
    await getTessera(args).reauthenticate();
    return { error: null, ended: null };
  }
  // Sensitive: only within freshFor of a login or step-up (403 not-fresh after).
  const session = requireFresh(args);
  if (typeof password !== "string" || password.length < 8) {
    return data({ error: "Too short.", ended: null }, { status: 400 });
  }
  setPassword(session.userId, password);
  const ended = await getTessera(args).logoutEverywhere({ keepCurrent: true });
  return { error: null, ended };
}

export default function Security() {
  const { fresh } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <main>
      <h1>Security</h1>
      {result?.error ? <p id="error">{result.error}</p> : null}
      {result?.ended != null ? (
        <p id="changed">{`Password changed; ${result.ended} other sessions ended.`}</p>
      ) : null}
      {fresh ? (
        <Form method="post">
          <input name="password" type="password" autoComplete="new-password" />
          <button type="submit">Change password</button>
        </Form>
      ) : (
        <>
          <p id="stale">Confirm your password first.</p>
          <Form method="post">
            <input type="hidden" name="intent" value="stepUp" />
            <input name="password" type="password" autoComplete="current-password" />
            <button type="submit">Confirm</button>
          </Form>
        </>
      )}
    </main>
  );
}
