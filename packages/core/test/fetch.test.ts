import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../src/errors.js";
import { answerForError } from "../src/http/answers.js";
import { answerResponse, withEffects } from "../src/http/fetch.js";
import type { ResponseEffects } from "../src/http/request-state.js";

const effects: ResponseEffects = {
  cookies: [
    {
      name: "session",
      value: "a.b",
      attributes: { path: "/", httpOnly: true, secure: true, sameSite: "lax" },
    },
    {
      name: "tessera-bound",
      value: "c",
      attributes: { maxAge: 600, path: "/", httpOnly: true, secure: false, sameSite: "strict" },
    },
  ],
  headers: { "cache-control": "private, no-store" },
};

describe("the gate's answers and effects on a Fetch Response", () => {
  it("answers a refusal with its status, headers and body as given", async () => {
    const answer = answerForError(new StoreUnavailableError("down"))!;
    const response = answerResponse(answer);
    expect(response.status).toBe(503);
    expect(headersOf(response)).toEqual(answer.headers);
    expect(await response.text()).toBe(answer.body);
  });

  it("appends each cookie, without Max-Age when it has none, and replaces the headers", () => {
    const handler = new Response("ok", {
      headers: { "set-cookie": "theme=dark; Path=/", "cache-control": "public, max-age=60" },
    });
    const response = withEffects(handler, effects);
    expect(response).toBe(handler);
    expect(response.headers.getSetCookie()).toEqual([
      "theme=dark; Path=/",
      "session=a.b; Path=/; HttpOnly; Secure; SameSite=Lax",
      "tessera-bound=c; Max-Age=600; Path=/; HttpOnly; SameSite=Strict",
    ]);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("copies a response whose headers are immutable, keeping its status and headers", async () => {
    const redirect = Response.redirect("https://app.test/home", 303);
    const response = withEffects(redirect, effects);
    expect(response).not.toBe(redirect);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("https://app.test/home");
    expect(response.headers.getSetCookie()).toHaveLength(2);
  });

  it("leaves the response alone without effects", () => {
    const handler = new Response("ok");
    expect(withEffects(handler, null)).toBe(handler);
    expect(handler.headers.getSetCookie()).toEqual([]);
  });
});

/** A response's headers as a plain object (Headers is iterable only with the DOM.Iterable lib). */
function headersOf(response: Response): Record<string, string> {
  const seen: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    seen[name] = value;
  });
  return seen;
}
