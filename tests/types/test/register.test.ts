/**
 * Typed session data, declared once through core's `Register`, reaches the session of every
 * integration: `req.session.data` (Express), `c.var.session.data` (Hono), `request.session.data`
 * (Fastify), `ctx.state.session.data` (Koa), `event.context.session.data` (h3, Nuxt), the
 * `session` of Elysia handlers, `event.locals.session.data` (SvelteKit), `context.locals.session.data`
 * (Astro), the React Router context's session, and the session of Next.js route handlers and server
 * helpers. This works because
 * every package takes `@tessera/core` as a peer dependency: one copy, one `Register`.
 */

import type { RequestEvent } from "@sveltejs/kit";
import type { TesseraLocals as AstroLocals } from "@tessera/astro";
import type { Session } from "@tessera/core";
import type { TesseraContext as ElysiaContext, tessera as elysiaTessera } from "@tessera/elysia";
import type { TesseraRequest } from "@tessera/express";
import type { TesseraEventContext } from "@tessera/h3";
import type { TesseraContext, TesseraVariables } from "@tessera/hono";
import type { TesseraState } from "@tessera/koa";
import type { RouteSession, SessionRouteHandler } from "@tessera/next";
import type { TesseraServer } from "@tessera/next/server";
import { type getSession, type getTessera, tesseraContext } from "@tessera/react-router";
import type { TesseraLocals } from "@tessera/sveltekit";
import type { FastifyRequest } from "fastify";
import "@tessera/fastify";
import "@tessera/express";
import "@tessera/sveltekit";
import "@tessera/astro";
import type { APIContext } from "astro";
import "@tessera/h3";
import "@tessera/koa";
import type { Request } from "express";
import type { H3EventContext } from "h3";
import type { DefaultState } from "koa";
import { describe, expectTypeOf, it } from "vitest";

interface AppData {
  role: "admin" | "member";
  tenant: string;
}

declare module "@tessera/core" {
  interface Register {
    sessionData: AppData;
  }
}

describe("Register-typed session data", () => {
  it("types core's Session", () => {
    expectTypeOf<Session["data"]>().toEqualTypeOf<AppData>();
  });

  it("reaches req.session.data in Express", () => {
    expectTypeOf<NonNullable<Request["session"]>["data"]>().toEqualTypeOf<AppData>();
    expectTypeOf<Parameters<TesseraRequest["login"]>[1]>().toEqualTypeOf<AppData | undefined>();
  });

  it("reaches c.var.session.data in Hono", () => {
    expectTypeOf<NonNullable<TesseraVariables["session"]>["data"]>().toEqualTypeOf<AppData>();
    expectTypeOf<NonNullable<TesseraContext["session"]>["data"]>().toEqualTypeOf<AppData>();
  });

  it("reaches request.session.data in Fastify", () => {
    expectTypeOf<NonNullable<FastifyRequest["session"]>["data"]>().toEqualTypeOf<AppData>();
  });

  it("reaches ctx.state.session.data in Koa, through DefaultState and TesseraState", () => {
    expectTypeOf<NonNullable<DefaultState["session"]>["data"]>().toEqualTypeOf<AppData>();
    expectTypeOf<NonNullable<TesseraState["session"]>["data"]>().toEqualTypeOf<AppData>();
    type KoaLogin = DefaultState["tessera"]["login"];
    expectTypeOf<Parameters<KoaLogin>[1]>().toEqualTypeOf<AppData | undefined>();
  });

  it("reaches event.context.session.data in h3 and Nuxt, through H3EventContext", () => {
    expectTypeOf<NonNullable<H3EventContext["session"]>["data"]>().toEqualTypeOf<AppData>();
    expectTypeOf<NonNullable<TesseraEventContext["session"]>["data"]>().toEqualTypeOf<AppData>();
    type H3Login = H3EventContext["tessera"]["login"];
    expectTypeOf<Parameters<H3Login>[1]>().toEqualTypeOf<AppData | undefined>();
  });

  it("reaches the session and helpers Elysia's plugin derives into handlers", () => {
    expectTypeOf<NonNullable<ElysiaContext["session"]>["data"]>().toEqualTypeOf<AppData>();
    type ElysiaLogin = ElysiaContext["tessera"]["login"];
    expectTypeOf<Parameters<ElysiaLogin>[1]>().toEqualTypeOf<AppData | undefined>();
    // What a route after .use(tessera(sessions)) sees in its context.
    type Derived = ReturnType<typeof elysiaTessera>["~Singleton"]["derive"];
    expectTypeOf<NonNullable<Derived["session"]>["data"]>().toEqualTypeOf<AppData>();
  });

  it("reaches the session of Next.js route handlers and server helpers", () => {
    expectTypeOf<NonNullable<RouteSession["session"]>["data"]>().toEqualTypeOf<AppData>();
    type Handler = SessionRouteHandler<unknown>;
    expectTypeOf<Parameters<Handler>[1]>().toEqualTypeOf<RouteSession>();
    type Found = Awaited<ReturnType<TesseraServer["getSession"]>>;
    expectTypeOf<NonNullable<Found>["data"]>().toEqualTypeOf<AppData>();
  });

  it("reaches event.locals.session.data in SvelteKit", () => {
    expectTypeOf<NonNullable<App.Locals["session"]>["data"]>().toEqualTypeOf<AppData>();
    expectTypeOf<NonNullable<RequestEvent["locals"]["session"]>["data"]>().toEqualTypeOf<AppData>();
    expectTypeOf<RequestEvent["locals"]["tessera"]>().toEqualTypeOf<TesseraLocals>();
  });

  it("reaches context.locals.session.data in Astro", () => {
    expectTypeOf<NonNullable<APIContext["locals"]["session"]>["data"]>().toEqualTypeOf<AppData>();
    expectTypeOf<APIContext["locals"]["tessera"]>().toEqualTypeOf<AstroLocals>();
  });

  it("reaches the React Router context's session data", () => {
    type Args = Parameters<typeof getSession>[0];
    expectTypeOf<NonNullable<ReturnType<typeof getSession>>["data"]>().toEqualTypeOf<AppData>();
    expectTypeOf<ReturnType<typeof getTessera>["session"]>().toEqualTypeOf<Session | null>();
    const read = (args: Args) => args.context.get(tesseraContext)?.session?.data;
    expectTypeOf(read).returns.toEqualTypeOf<AppData | undefined>();
  });

  it("refuses data of the wrong shape at login", () => {
    type Login = TesseraRequest["login"];
    // @ts-expect-error: "owner" is not a role
    const call = (login: Login) => login("u1", { role: "owner", tenant: "t" });
    expectTypeOf(call).toBeFunction();
  });
});
