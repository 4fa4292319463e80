// The bindings of wrangler.jsonc, as `wrangler types` would declare them.
declare namespace Cloudflare {
  interface Env {
    SESSIONS: DurableObjectNamespace<import("@tessera/cloudflare").SessionDurableObject>;
    ROTATION_INTERVAL: string;
  }
}
