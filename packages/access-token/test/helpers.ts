/** Splits a compact JWT and decodes its JSON parts. */
export function decodeJwt(token: string) {
  const [header, payload, signature] = token.split(".");
  const json = (part: string | undefined) =>
    JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  return { header: json(header), payload: json(payload), signature: signature ?? "" };
}

/** Base64url of the JSON of `value`, as a JWT part. */
export function part(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** The value of the session cookie in a Set-Cookie header, or null. */
export function cookieValue(setCookie: string | null, name: string): string | null {
  if (!setCookie) return null;
  const match = new RegExp(`(?:^|, )${name.replace(/[-_]/g, "\\$&")}=([^;]*)`).exec(setCookie);
  return match ? (match[1] ?? null) : null;
}
