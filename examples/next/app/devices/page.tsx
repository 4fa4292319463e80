import { requireSession } from "@/lib/auth";
import { sessions } from "@/lib/sessions";
import { displayName } from "@/lib/users";
import { logoutAction, logoutEverywhereAction, revokeDeviceAction } from "../actions";

export default async function DevicesPage() {
  const session = await requireSession();
  const devices = await sessions.list(session.userId, { current: session.id });
  return (
    <main>
      <h1>{`Signed in as ${displayName(session.userId)}`}</h1>
      <p data-testid="session-id">{`Session ${session.id}`}</p>
      <h2>Your devices ({devices.length})</h2>
      <ul>
        {devices.map((device) => (
          <li key={device.id} data-testid="device" data-session-id={device.id}>
            {device.client.browser ?? "unknown browser"} on {device.client.os ?? "unknown OS"}
            {device.client.ip ? ` from ${device.client.ip}` : ""}, last active{" "}
            {device.lastActiveAt.toISOString()}
            {device.current ? (
              <strong> (this device)</strong>
            ) : (
              <form action={revokeDeviceAction} style={{ display: "inline" }}>
                <input type="hidden" name="sessionId" value={device.id} />
                <button type="submit">Revoke</button>
              </form>
            )}
          </li>
        ))}
      </ul>
      <form action={logoutAction}>
        <button type="submit">Log out</button>
      </form>
      <form action={logoutEverywhereAction}>
        <button type="submit">Log out everywhere</button>
      </form>
    </main>
  );
}
