export { FORWARDED_SESSION_HEADER } from "./forward.js";
export {
  type ProxyContext,
  type TesseraProxy,
  type TesseraProxyOptions,
  tesseraProxy,
} from "./proxy.js";
export type { HeaderReader, TesseraNextOptions } from "./request.js";
export {
  type RouteSession,
  type SessionRouteHandler,
  type WithSessionOptions,
  withSession,
} from "./route.js";
