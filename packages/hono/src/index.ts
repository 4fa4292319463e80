export { type GuardOptions, requireFresh, requireSession } from "./guards.js";
export {
  type LogoutEverywhereOptions,
  login,
  logout,
  logoutEverywhere,
  type TesseraContext,
  type TesseraEnv,
  type TesseraOptions,
  type TesseraVariables,
  tessera,
} from "./middleware.js";
