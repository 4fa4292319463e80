"use server";
/** The reference app's server action: a login through `tesseraServer`, writing via `cookies()`. */
import { tesseraServer } from "@tessera/next/server";
import { current } from "@/lib/reference";

export async function loginAction(form: FormData): Promise<void> {
  const { sessions, options } = current();
  const { session, token } = await tesseraServer(sessions, options).login(String(form.get("user")));
  // The CreatedSession every integration's login returns: the token belongs to the session.
  if (!token.startsWith(`${session.id}.`))
    throw new Error("login returned another session's token");
}
