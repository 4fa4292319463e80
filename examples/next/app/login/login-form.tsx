"use client";
import { useActionState } from "react";
import { loginAction } from "../actions";

export function LoginForm() {
  const [error, action, pending] = useActionState(loginAction, null);
  return (
    <form action={action}>
      <p>
        <label>
          Username <input name="username" autoComplete="username" required />
        </label>
      </p>
      <p>
        <label>
          Password{" "}
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
      </p>
      {error ? <p role="alert">{error}</p> : null}
      <button type="submit" disabled={pending}>
        Log in
      </button>
    </form>
  );
}
