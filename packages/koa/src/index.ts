export {
  type GuardOptions,
  type LogoutEverywhereOptions,
  type OnRefused,
  requireFresh,
  requireSession,
  type TesseraContext,
  type TesseraOptions,
  type TesseraRequest,
  type TesseraState,
  tessera,
} from "./middleware.js";
