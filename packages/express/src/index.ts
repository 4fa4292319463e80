export {
  type GuardOptions,
  type LogoutEverywhereOptions,
  type OnRefused,
  requireFresh,
  requireSession,
  storeErrorHandler,
  type TesseraOptions,
  type TesseraRequest,
  tessera,
} from "./middleware.js";
