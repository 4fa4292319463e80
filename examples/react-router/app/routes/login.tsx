import { getTessera } from "@tessera/react-router";
import { type ActionFunctionArgs, data, Form, redirect, useActionData } from "react-router";
import { passwordMatches } from "../lib/sessions.server";

export async function action(args: ActionFunctionArgs) {
  const form = await args.request.formData();
  const user = form.get("user");
  if (!passwordMatches(user, form.get("password"))) {
    return data({ error: "Wrong user name or password." }, { status: 400 });
  }
  await getTessera(args).login(String(user)); // a new session; any session this browser had ends
  throw redirect("/devices", 303);
}

export default function Login() {
  const result = useActionData<typeof action>();
  return (
    <main>
      <h1>Log in</h1>
      {result?.error ? <p id="error">{result.error}</p> : null}
      <Form method="post">
        <input name="user" autoComplete="username" />
        <input name="password" type="password" autoComplete="current-password" />
        <button type="submit">Log in</button>
      </Form>
    </main>
  );
}
