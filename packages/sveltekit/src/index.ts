export {
  type LogoutEverywhereOptions,
  type OnRefused,
  requireFresh,
  requireSession,
  type TesseraLocals,
  type TesseraOptions,
  tessera,
  tesseraHandleError,
} from "./handle.js";
