export {
  answerStoreError,
  type GuardOptions,
  type LogoutEverywhereOptions,
  type OnRefused,
  requireFresh,
  requireSession,
  type TesseraEventContext,
  type TesseraOptions,
  type TesseraRequest,
  tessera,
} from "./handler.js";
