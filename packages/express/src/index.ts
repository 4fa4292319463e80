export { type GuardOptions, requireFresh, requireSession, storeErrorHandler } from "./guards.js";
export {
  type LogoutEverywhereOptions,
  type TesseraOptions,
  type TesseraRequest,
  tessera,
} from "./middleware.js";
