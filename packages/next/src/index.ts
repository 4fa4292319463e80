export { FORWARDED_SESSION_HEADER } from "./forward.js";
export type { ProxyContext, TesseraProxy, TesseraProxyOptions } from "./proxy.js";
export { tesseraProxy } from "./proxy.js";
export type { HeaderReader, TesseraNextOptions } from "./request.js";
export type { RouteSession, SessionRouteHandler, WithSessionOptions } from "./route.js";
export { withSession } from "./route.js";
