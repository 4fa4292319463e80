import { getSession, getTessera, requireSession } from "@tessera/react-router";
import {
  type ActionFunctionArgs,
  Form,
  type LoaderFunctionArgs,
  redirect,
  useLoaderData,
} from "react-router";
import { sessions } from "../lib/sessions.server";

export async function loader(args: LoaderFunctionArgs) {
  if (!getSession(args)) throw redirect("/login", 303);
  const session = requireSession(args);
  const devices = await sessions.list(session.userId, { current: session.id });
  return {
    user: session.userId,
    devices: devices.map((device) => ({
      id: device.id,
      current: device.current,
      browser: device.client.browser ?? "unknown",
      lastActiveAt: device.lastActiveAt.toISOString(),
    })),
  };
}

export async function action(args: ActionFunctionArgs) {
  const form = await args.request.formData();
  const intent = form.get("intent");
  if (intent === "logout") {
    await getTessera(args).logout();
    throw redirect("/login", 303);
  }
  const session = requireSession(args);
  if (intent === "everywhere") {
    await getTessera(args).logoutEverywhere();
    throw redirect("/login", 303);
  }
  // Log one of the user's other devices out: only an id from the user's own list.
  const id = form.get("id");
  const own = await sessions.list(session.userId);
  if (!own.some((device) => device.id === id)) {
    throw new Response("No such device", { status: 404 });
  }
  await sessions.revoke(String(id));
  return { revoked: true };
}

export default function Devices() {
  const { user, devices } = useLoaderData<typeof loader>();
  return (
    <main>
      <h1>{user}'s devices</h1>
      <ul>
        {devices.map((device) => (
          <li key={device.id} data-id={device.id} data-current={String(device.current)}>
            {device.browser}, last active {device.lastActiveAt}
            {device.current ? null : (
              <Form method="post">
                <input type="hidden" name="id" value={device.id} />
                <button type="submit" name="intent" value="revoke">
                  Log out
                </button>
              </Form>
            )}
          </li>
        ))}
      </ul>
      <Form method="post">
        <button type="submit" name="intent" value="everywhere">
          Log out everywhere
        </button>
      </Form>
      <Form method="post">
        <button type="submit" name="intent" value="logout">
          Log out
        </button>
      </Form>
      <a href="/security">Change password</a>
    </main>
  );
}
