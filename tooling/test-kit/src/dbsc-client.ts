/**
 * A DBSC user agent for tests, written from the W3C WebAppSec DBSC editor's draft (revision
 * d34681127abcef5fad67a1fd99cd0849f7b9b4b0), not from Tessera's server code: it reads
 * `Secure-Session-Registration` from responses, registers with a WebCrypto ES256 key
 * (a `dbsc+jwt` proof with the public `jwk` in its header and the challenge as `jti`), keeps the
 * session configuration, caches `Secure-Session-Challenge` values, and refreshes when its bound
 * cookie is missing: `Sec-Secure-Session-Id` plus a `Secure-Session-Response` proof, retrying
 * once with the new challenge on a 403, keeping the session on a 407 or 429, and ending it on
 * any other 4xx.
 */
import { type Answer, Client, type RequestOptions } from "./http.js";

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** An sf-string as the draft's request headers carry it. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** One entry of `Secure-Session-Registration`: its algorithms and parameters. */
export interface RegistrationEntry {
  algorithms: string[];
  params: Record<string, string>;
}

/** Reads `Secure-Session-Registration` (a list of parameterised inner lists of tokens). */
export function parseRegistration(field: string | null): RegistrationEntry[] {
  if (!field) return [];
  const entries: RegistrationEntry[] = [];
  const member = /\(([^)]*)\)((?:;[a-z_][a-z0-9_*.-]*=(?:"(?:[^"\\]|\\.)*"|[^;,\s]+))*)/g;
  for (const match of field.matchAll(member)) {
    const algorithms = (match[1] ?? "").split(" ").filter(Boolean);
    const params: Record<string, string> = {};
    for (const param of (match[2] ?? "").matchAll(
      /;([a-z_][a-z0-9_*.-]*)=("(?:[^"\\]|\\.)*"|[^;,\s]+)/g,
    )) {
      const raw = param[2]!;
      params[param[1]!] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    }
    entries.push({ algorithms, params });
  }
  return entries;
}

/** Reads `Secure-Session-Challenge` (a list of sf-strings with an `id` parameter). */
export function parseChallenges(field: string | null): { challenge: string; id: string }[] {
  if (!field) return [];
  const found: { challenge: string; id: string }[] = [];
  for (const match of field.matchAll(
    /"((?:[^"\\]|\\.)*)"((?:;[a-z_]+=(?:"(?:[^"\\]|\\.)*"|[^;,\s]+))*)/g,
  )) {
    const id = /;id="((?:[^"\\]|\\.)*)"/.exec(match[2] ?? "")?.[1];
    if (id !== undefined) {
      found.push({ challenge: match[1]!.replace(/\\(.)/g, "$1"), id: id.replace(/\\(.)/g, "$1") });
    }
  }
  return found;
}

/** A session key: a WebCrypto ES256 key pair, its public half as a JWK. */
export interface SessionKey {
  privateKey: CryptoKey;
  jwk: JsonWebKey;
}

/** Makes an ES256 key pair whose private half cannot be exported (as a browser would hold it). */
export async function makeSessionKey(): Promise<SessionKey> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const full = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return {
    privateKey: pair.privateKey,
    jwk: { kty: full.kty, crv: full.crv, x: full.x, y: full.y },
  };
}

/**
 * Signs a DBSC proof: header `{ alg: "ES256", typ: "dbsc+jwt", jwk? }` (the `jwk` only on
 * registration), payload `{ jti: challenge, ...extra }`. WebCrypto's ECDSA signature is already
 * the JWS form (r || s).
 */
export async function signProof(
  key: SessionKey,
  challenge: string,
  options: { withJwk: boolean; claims?: Record<string, unknown> },
): Promise<string> {
  const header = { alg: "ES256", typ: "dbsc+jwt", ...(options.withJwk ? { jwk: key.jwk } : {}) };
  const payload = { jti: challenge, ...options.claims };
  const input = `${base64url(encoder.encode(JSON.stringify(header)))}.${base64url(encoder.encode(JSON.stringify(payload)))}`;
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    key.privateKey,
    encoder.encode(input),
  );
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

/** The session configuration a registration answered (the draft's JSON session instructions). */
export interface SessionInstructions {
  session_identifier: string;
  refresh_url?: string;
  continue?: boolean;
  scope: { origin?: string; include_site: boolean; scope_specification?: unknown[] };
  credentials: { type: string; name: string; attributes?: string }[];
}

/** The device-bound session a `DbscBrowser` holds. */
export interface BoundSession {
  id: string;
  refreshUrl: string;
  credentials: SessionInstructions["credentials"];
  cachedChallenge: string | null;
  key: SessionKey;
}

/** One refresh exchange, for tests that inspect or replay it. */
export interface RefreshExchange {
  /** Every answer of the exchange (a 403 then the retry, or one). */
  answers: Answer[];
  /** The proofs sent, in order (`Secure-Session-Response` values, without quotes). */
  proofs: string[];
  /** The session is still held after it. */
  kept: boolean;
}

/** A browser with DBSC: a cookie jar (`Client`) plus device-bound sessions. */
export class DbscBrowser {
  readonly client: Client;
  /** The device-bound session, once registered. */
  session: BoundSession | null = null;
  /** The last registration's answer. */
  registration: Answer | null = null;

  constructor(
    base: string,
    /** The key registration uses; a fresh one by default. */
    readonly keyFor: () => Promise<SessionKey> = makeSessionKey,
  ) {
    this.client = new Client(base);
  }

  /**
   * Sends a request as the draft's user agent does: first, when a device-bound session's
   * credential cookie is missing, a refresh (the request waits for it); then the request; then,
   * when the answer carries `Secure-Session-Registration`, a registration.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    if (this.session && this.missingCredential()) await this.refresh();
    const answer = await this.client.request(method, path, options);
    this.cacheChallenges(answer);
    const [entry] = parseRegistration(answer.headers.get("secure-session-registration"));
    if (entry) await this.register(entry);
    return answer;
  }

  get(path: string, options?: RequestOptions): Promise<Answer> {
    return this.request("GET", path, options);
  }

  post(path: string, options?: RequestOptions): Promise<Answer> {
    return this.request("POST", path, options);
  }

  /** Whether a credential cookie of the session is absent from the jar. */
  missingCredential(): boolean {
    return !!this.session?.credentials.some((credential) => !this.client.jar.has(credential.name));
  }

  /** Lets the bound cookie(s) run out, as a browser does at their Max-Age. */
  expireCredentials(): void {
    for (const credential of this.session?.credentials ?? []) {
      this.client.jar.delete(credential.name);
    }
  }

  /** Registers for one `Secure-Session-Registration` entry (ES256 only in this user agent). */
  async register(entry: RegistrationEntry): Promise<Answer | null> {
    if (!entry.algorithms.includes("ES256") || !entry.params.path) return null;
    const key = await this.keyFor();
    const headers: Record<string, string> = {};
    if (entry.params.challenge !== undefined || entry.params.authorization !== undefined) {
      const claims =
        entry.params.authorization !== undefined
          ? { authorization: entry.params.authorization }
          : {};
      headers["secure-session-response"] = sfString(
        await signProof(key, entry.params.challenge ?? "", { withJwk: true, claims }),
      );
    }
    if (entry.params.authorization !== undefined) {
      headers.authorization = entry.params.authorization;
    }
    const path = new URL(entry.params.path, this.client.base).pathname;
    const answer = await this.client.request("POST", path, { headers });
    this.registration = answer;
    this.adopt(answer, null, key, path);
    return answer;
  }

  /** Refreshes the session's credentials (the draft's "send a request" for a refresh). */
  async refresh(): Promise<RefreshExchange> {
    const exchange: RefreshExchange = { answers: [], proofs: [], kept: true };
    const session = this.session;
    if (!session) return { ...exchange, kept: false };
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = { "sec-secure-session-id": sfString(session.id) };
      if (session.cachedChallenge !== null) {
        const proof = await signProof(session.key, session.cachedChallenge, { withJwk: false });
        exchange.proofs.push(proof);
        headers["secure-session-response"] = sfString(proof);
      }
      const answer = await this.client.request("POST", session.refreshUrl, { headers });
      exchange.answers.push(answer);
      this.cacheChallenges(answer);
      if (answer.status === 403 && attempt === 0) continue;
      // The draft: a 407 or 429 returns without ending the session (try again later).
      if (answer.status === 407 || answer.status === 429) return exchange;
      if (answer.status >= 400 && answer.status < 500 && answer.status !== 403) {
        this.session = null;
        exchange.kept = false;
        return exchange;
      }
      if (answer.status === 200 && typeof answer.body === "object" && answer.body !== null) {
        this.adopt(answer, session.id, session.key, session.refreshUrl);
        exchange.kept = this.session !== null;
      }
      return exchange;
    }
    return exchange;
  }

  /** Sends a request to the refresh URL with headers of the test's choosing (an attacker). */
  sendRefresh(headers: Record<string, string>): Promise<Answer> {
    const path = this.session?.refreshUrl ?? "/";
    return this.client.request("POST", path, { headers });
  }

  /** Takes a session configuration in (the draft's "create session"). */
  private adopt(answer: Answer, expectedId: string | null, key: SessionKey, destination: string) {
    if (answer.status !== 200) {
      if (expectedId !== null && answer.status >= 400 && answer.status < 500) this.session = null;
      return;
    }
    const body = answer.body as SessionInstructions | null;
    if (!body || typeof body !== "object" || body.continue === false) {
      this.session = null;
      return;
    }
    if (expectedId !== null && body.session_identifier !== expectedId) {
      this.session = null;
      return;
    }
    const previous = this.session?.cachedChallenge ?? null;
    this.session = {
      id: body.session_identifier,
      refreshUrl: body.refresh_url
        ? new URL(body.refresh_url, new URL(destination, this.client.base)).pathname
        : destination,
      credentials: body.credentials.filter((credential) => credential.type === "cookie"),
      cachedChallenge: previous,
      key,
    };
    this.cacheChallenges(answer);
  }

  private cacheChallenges(answer: Answer) {
    for (const { challenge, id } of parseChallenges(
      answer.headers.get("secure-session-challenge"),
    )) {
      if (this.session && this.session.id === id) this.session.cachedChallenge = challenge;
    }
  }
}
