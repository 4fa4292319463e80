/** A form posting to a server action (no JavaScript needed: Next.js renders its action id). */
import { loginAction } from "./actions";

export const dynamic = "force-dynamic";

export default function ActionLoginPage() {
  return (
    <form action={loginAction}>
      <input name="user" />
      <button type="submit">Log in</button>
    </form>
  );
}
