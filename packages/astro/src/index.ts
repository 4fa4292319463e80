export {
  type LogoutEverywhereOptions,
  type OnRefused,
  requireFresh,
  requireSession,
  type TesseraContext,
  type TesseraLocals,
  type TesseraOptions,
  tessera,
} from "./middleware.js";
