export {
  type GuardOptions,
  type LogoutEverywhereOptions,
  type OnRefused,
  type RequestContext,
  requireFresh,
  requireSession,
  type TesseraContext,
  type TesseraOptions,
  type TesseraRequest,
  tessera,
} from "./plugin.js";
