/**
 * Revocation push end to end: an issuer (this process) and two verifier processes
 * (fixtures/verifier.mjs) on a redis-server of this file's own. The second verifier reaches Redis
 * through a TCP proxy, so it alone can be cut off; the server is also stopped by PID and started
 * again. Prints the time from `revoke` to the first refusal at the second process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createSessions, type Sessions } from "@tessera/core";
import { RedisStore } from "@tessera/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The throwaway redis-server helpers of @tessera/redis's own tests (start, stop by PID, ports).
import {
  CI,
  makeTempDir,
  REDIS_SERVER,
  type RedisProcess,
  redisBinariesPresent,
  removeTempDir,
  startRedis,
  stopRedis,
} from "../../redis/test/servers.js";
import {
  type AccessTokens,
  createAccessTokens,
  generateSigningKey,
  type RevocationPublisher,
  revocationPublisher,
} from "../src/index.js";
import { redisRevocationFeed } from "../src/redis.js";
import { startProxy } from "./proxy.js";

const here = fileURLToPath(new URL("..", import.meta.url));
const present = redisBinariesPresent();
if (!present) {
  const message = `${REDIS_SERVER} is not installed: the revocation push tests cannot start their own Redis`;
  if (CI) throw new Error(message);
  console.warn(`\n[@tessera/access-token] WARNING: ${message}; they are skipped.\n`);
}

const ISSUER = "https://auth.example";
const AUDIENCE = "orders";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  id?: number;
  ok?: boolean;
  reason?: string | null;
  error?: string;
  status: "live" | "lost";
  storeChecks: number;
}

/** One verifier process and a way to ask it things. */
class VerifierProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  #next = 0;
  #waiting = new Map<number, (answer: Answer) => void>();

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [`${here}test/fixtures/verifier.mjs`], {
      cwd: here,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "inherit"],
    });
    let buffer = "";
    let markReady: () => void = () => {};
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    this.child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
        const answer = JSON.parse(buffer.slice(0, end)) as Answer & { event?: string };
        buffer = buffer.slice(end + 1);
        if (answer.event === "ready") markReady();
        else if (answer.id !== undefined) this.#waiting.get(answer.id)?.(answer);
      }
    });
  }

  #ask(request: Record<string, unknown>): Promise<Answer> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, (answer) => {
        this.#waiting.delete(id);
        resolve(answer);
      });
      this.child.stdin!.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  verify(token: string, sensitive = false) {
    return this.#ask({ op: "verify", token, sensitive });
  }

  /** Waits until the process reports the feed in `state`. */
  async waitFor(state: "live" | "lost", timeoutMs = 15_000) {
    for (const start = Date.now(); Date.now() - start < timeoutMs; await sleep(25)) {
      if ((await this.#ask({ op: "status" })).status === state) return;
    }
    throw new Error(`verifier never reported the feed ${state}`);
  }

  /** Verifies back to back until refused; resolves the answer (fails after `timeoutMs`). */
  async untilRefused(token: string, timeoutMs = 5000): Promise<Answer> {
    for (const start = Date.now(); Date.now() - start < timeoutMs; ) {
      const answer = await this.verify(token);
      if (!answer.ok) return answer;
    }
    throw new Error(`token still accepted after ${timeoutMs} ms`);
  }

  stop() {
    if (this.child.exitCode === null) this.child.kill();
  }
}

describe.runIf(present)("revocation push to two verifier processes over a real Redis", () => {
  const dir = present ? makeTempDir("revocations") : "";
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  const env = { FEED_PREFIX: `rev-${suffix}:`, STORE_PREFIX: `ses-${suffix}:` };
  let server: RedisProcess;
  let issuerClient: Redis;
  let sessions: Sessions;
  let tokens: AccessTokens;
  let publisher: RevocationPublisher;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let first: VerifierProcess;
  let second: VerifierProcess;

  const login = async (userId: string) => {
    const { session } = await sessions.create({ userId });
    return { session, token: await tokens.issue(session) };
  };

  beforeAll(async () => {
    expect(existsSync(`${here}dist/redis.js`), "build @tessera/access-token first").toBe(true);
    server = await startRedis({ dir, extra: ["--save", "3600 1"] });
    issuerClient = new Redis({ port: server.port, maxRetriesPerRequest: 1 });
    issuerClient.on("error", () => {});
    const key = await generateSigningKey();
    const revocationKey = await generateSigningKey("HS256");
    tokens = createAccessTokens({ keys: [key], issuer: ISSUER, audience: AUDIENCE });
    publisher = revocationPublisher({
      feed: redisRevocationFeed({ client: issuerClient, prefix: env.FEED_PREFIX }),
      ttl: tokens.ttl,
      keys: [revocationKey],
      heartbeatInterval: 0.5,
    });
    sessions = createSessions({
      store: new RedisStore({ client: issuerClient, prefix: env.STORE_PREFIX }),
      onEvent: publisher,
    });
    proxy = await startProxy(() => server.port);
    const common = {
      ...env,
      JWKS: JSON.stringify(tokens.jwks()),
      REVOCATION_KEYS: JSON.stringify([revocationKey]),
      ISSUER,
      AUDIENCE,
    };
    first = new VerifierProcess({ ...common, REDIS_PORT: String(server.port) });
    second = new VerifierProcess({ ...common, REDIS_PORT: String(proxy.port) });
    await Promise.all([first.ready, second.ready]);
    await Promise.all([first.waitFor("live"), second.waitFor("live")]);
  });

  afterAll(async () => {
    first?.stop();
    second?.stop();
    await publisher?.close();
    await proxy?.cut();
    issuerClient?.disconnect();
    if (server) await stopRedis(server);
    removeTempDir(dir);
  });

  it("refuses a revoked session's token at the second process within moments, with no store call", async () => {
    const samples: number[] = [];
    for (let n = 0; n < 20; n++) {
      const { session, token } = await login(`user-${n}`);
      expect((await second.verify(token)).ok).toBe(true);
      const started = performance.now();
      await sessions.revoke(session.id);
      const refused = await second.untilRefused(token);
      samples.push(performance.now() - started);
      expect(refused.reason).toBe("revoked");
      // The first process hears the same push on its own connection, so it may be a moment behind
      // the second one; it must still refuse from its deny-list (checked below: no store call).
      expect((await first.untilRefused(token)).reason).toBe("revoked");
    }
    // Every refusal came from the deny-list: neither process asked the store once.
    expect((await first.verify("x.y.z")).storeChecks).toBe(0);
    expect((await second.verify("x.y.z")).storeChecks).toBe(0);
    samples.sort((a, b) => a - b);
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    console.log(
      `[revocation push] revoke -> refusal at the second verifier process, 20 sessions: ` +
        `median ${ms(samples[10]!)}, max ${ms(samples[19]!)} (includes the revoke call and one IPC round trip)`,
    );
  });

  it("names every session a revoke-all ends, or makes verifiers ask the store for that user", async () => {
    const phone = await login("dana");
    const laptop = await login("dana");
    await sessions.revokeAll("dana");
    for (const { token } of [phone, laptop]) {
      expect((await second.untilRefused(token)).reason).toBe("revoked");
    }
  });

  it("falls back to the store while cut off (sensitive calls refused), and catches up on reconnection", async () => {
    const kept = await login("erin");
    const revoked = await login("frank");
    await proxy.cut();
    await second.waitFor("lost");
    await sessions.revoke(revoked.session.id);
    // The connected process hears it at once...
    expect((await first.untilRefused(revoked.token)).reason).toBe("revoked");
    // ...the cut-off one cannot know: sensitive calls fail closed (503), ordinary ones are
    // accepted on what it has (the token's own lifetime bounds the exposure).
    expect((await second.verify(revoked.token, true)).error).toBe("store-unavailable");
    expect((await second.verify(revoked.token)).ok).toBe(true);

    await proxy.restore();
    await second.waitFor("live");
    const before = (await second.verify(kept.token)).storeChecks;
    expect(await second.verify(revoked.token)).toMatchObject({ ok: false, reason: "revoked" });
    expect((await second.verify(kept.token)).ok).toBe(true);
    // Caught up from the log: the refusal needed no store read.
    expect((await second.verify(kept.token)).storeChecks).toBe(before);
  });

  it("survives Redis being stopped and restarted: both processes refuse old and new revocations", async () => {
    const earlier = await login("gina");
    await sessions.revoke(earlier.session.id);
    await second.untilRefused(earlier.token);
    const later = await login("hugo");

    await stopRedis(server);
    await Promise.all([first.waitFor("lost"), second.waitFor("lost")]);
    expect((await first.verify(later.token, true)).error).toBe("store-unavailable");
    expect((await second.verify(earlier.token)).reason).toBe("revoked"); // still in memory

    server = await startRedis({ dir, port: server.port, extra: ["--save", "3600 1"] });
    await Promise.all([first.waitFor("live"), second.waitFor("live")]);
    await sessions.revoke(later.session.id);
    for (const verifier of [first, second]) {
      expect((await verifier.untilRefused(later.token)).reason).toBe("revoked");
      expect((await verifier.verify(earlier.token)).reason).toBe("revoked");
    }
  });
});
