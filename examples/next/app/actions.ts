"use server";
/**
 * Server actions. Each one checks the session itself (Next.js docs: never rely on the proxy
 * alone); Next.js has already compared the Origin with the Host before running them.
 */
import { redirect } from "next/navigation";
import { login, logout, logoutEverywhere, requireSession } from "@/lib/auth";
import { sessions } from "@/lib/sessions";
import { checkCredentials } from "@/lib/users";

export async function loginAction(_state: string | null, form: FormData): Promise<string | null> {
  const userId = checkCredentials(form.get("username"), form.get("password"));
  if (!userId) return "Wrong username or password.";
  await login({ userId, data: { loginMethod: "password" } });
  redirect("/devices");
}

export async function logoutAction(): Promise<void> {
  await logout();
  redirect("/login");
}

export async function logoutEverywhereAction(): Promise<void> {
  await logoutEverywhere();
  redirect("/login");
}

export async function revokeDeviceAction(form: FormData): Promise<void> {
  const session = await requireSession();
  const id = form.get("sessionId");
  // Authorisation, not just authentication: only the user's own sessions can be revoked.
  const devices = await sessions.list(session.userId);
  if (typeof id === "string" && devices.some((device) => device.id === id)) {
    await sessions.revoke(id);
  }
  redirect(id === session.id ? "/login" : "/devices");
}
