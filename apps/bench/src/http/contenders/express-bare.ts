/** Bare Express 5, no authentication at all: the ceiling every other figure is divided by. */
import { defineContender } from "../contender.js";
import { authApp } from "../express-kit.js";

export default defineContender(async (context) => ({
  app: authApp(() => context.userId),
  prepare: async () => ({ setCookie: "", userId: context.userId, storedBytes: null }),
}));
