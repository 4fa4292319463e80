export {
  type GuardOptions,
  type LogoutEverywhereOptions,
  type OnRefused,
  requireFresh,
  requireSession,
  type TesseraPluginOptions,
  type TesseraRequest,
  tessera,
} from "./plugin.js";
