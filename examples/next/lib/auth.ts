/** Server-side session helpers for pages and server actions. */
import { tesseraServer } from "@tessera/next/server";
import { sessions } from "./sessions";

export const { getSession, requireSession, requireFresh, login, logout, logoutEverywhere } =
  tesseraServer(sessions, { loginPath: "/login" });
