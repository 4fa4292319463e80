/**
 * The few RFC 9651 structured-field shapes the DBSC draft uses: an sf-string (with parameters
 * to ignore) in requests, a list of parameterised inner lists and strings in responses. Small
 * on purpose: only what the draft's headers carry, strictly parsed.
 */

/** `"..."` as an sf-string: `\` and `"` escaped; other characters must be printable ASCII. */
export function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new TypeError("an sf-string holds printable ASCII only");
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Reads an sf-string item (parameters after it are ignored, as the draft says), or `null` for
 * anything else. Leading and trailing spaces are allowed, as in any field value.
 */
export function parseSfString(field: string | null | undefined): string | null {
  if (typeof field !== "string") return null;
  const text = field.trim();
  if (!text.startsWith('"')) return null;
  let value = "";
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\") {
      const next = text[i + 1];
      if (next !== '"' && next !== "\\") return null;
      value += next;
      i++;
    } else if (c === '"') {
      const rest = text.slice(i + 1);
      // Only parameters may follow the string.
      return rest === "" || rest.startsWith(";") ? value : null;
    } else {
      const code = c.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) return null;
      value += c;
    }
  }
  return null;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Reads a `Secure-Session-Response` value: the proof JWT as an sf-string, as the draft says, or
 * bare, as Chromium 156 sends it (a compact JWS, nothing else). `null` for anything else.
 */
export function parseProofField(field: string | null | undefined): string | null {
  if (typeof field !== "string") return null;
  const text = field.trim();
  if (text.startsWith('"')) return parseSfString(text);
  return COMPACT_JWS.test(text) ? text : null;
}

const BARE_ID = /^[A-Za-z0-9_.~-]{1,128}$/;

/**
 * Reads `Sec-Secure-Session-Id`: an sf-string as the draft says, or the bare identifier, as
 * Chromium 156 sends it. `null` for anything else.
 */
export function parseSessionIdField(field: string | null | undefined): string | null {
  if (typeof field !== "string") return null;
  const text = field.trim();
  if (text.startsWith('"')) return parseSfString(text);
  return BARE_ID.test(text) ? text : null;
}

/**
 * `Secure-Session-Registration` for one registration: the algorithms as an inner list of tokens,
 * then `path` and `challenge` as string parameters, e.g.
 * `(ES256 RS256);path="/tessera/dbsc/register";challenge="c"`.
 */
export function registrationHeader(
  algorithms: readonly string[],
  path: string,
  challenge: string,
): string {
  return `(${algorithms.join(" ")});path=${sfString(path)};challenge=${sfString(challenge)}`;
}

/** `Secure-Session-Challenge` for one session: `"<challenge>";id="<session id>"`. */
export function challengeHeader(challenge: string, sessionId: string): string {
  return `${sfString(challenge)};id=${sfString(sessionId)}`;
}
