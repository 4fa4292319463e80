/**
 * CPU cost of the pieces a session check is made of, measured with mitata in this process,
 * beside the same pieces of the libraries users compare Tessera with. Each group has a
 * baseline (its first task); every task is measured in several rounds, tasks of a group
 * interleaved within a round, and the report shows the median time per operation and the
 * median of the per-round ratios to the baseline.
 *
 * The clock is the process's CPU time (user + system, all threads), not wall time: on a
 * shared 2-core machine other work steals the CPU and inflates wall time, while CPU time per
 * operation is what the budget ("core CPU per validate") is about.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase32LowerCaseNoPadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { createSessions, MemoryStore, type SessionStore } from "@tessera/core";
import type { SessionRecord } from "@tessera/core/store";
import { parse as parseCookie, serialize as serializeCookie } from "cookie";
import { sealData, unsealData } from "iron-session";
import { generateKeyPair, jwtVerify, SignJWT } from "jose";
import { type Adapter, generateIdFromEntropySize, Lucia } from "lucia";
import { do_not_optimize, measure } from "mitata";
import { median } from "./stats.js";

/** One measured operation. */
interface MicroTask {
  name: string;
  run: () => unknown;
}

/** One group: tasks compared with the first. */
interface MicroGroup {
  name: string;
  note: string;
  tasks: MicroTask[];
}

/** A task's figures. */
export interface MicroResult {
  group: string;
  name: string;
  /** Median over rounds of mitata's p50, in CPU nanoseconds per operation. */
  ns: number;
  /** Per-round p50 values. */
  rounds: number[];
  /** Median over rounds of (this task / the group's baseline) in the same round. */
  ratio: number;
}

/** What the micro suite returns. */
export interface MicroResults {
  groups: { name: string; note: string; baseline: string }[];
  results: MicroResult[];
}

const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const CLIENT = { ip: "203.0.113.7", userAgent: USER_AGENT };

/**
 * A store whose `get` resolves at once with a copy of one fixed record: what is left of
 * `validate` is core's own CPU (parse, hash, compare, policy, the session view).
 */
class FixedRecordStore implements SessionStore {
  record: SessionRecord | null = null;
  async create(record: SessionRecord) {
    this.record = record;
  }
  async get() {
    return this.record ? { ...this.record } : null;
  }
  async update() {
    return true;
  }
  async delete() {}
  async listByUser() {
    return [];
  }
  async deleteByUser() {
    return 0;
  }
}

/** A Lucia adapter answering from memory at once (Lucia's own CPU per validateSession). */
function fixedLuciaAdapter(): Adapter {
  const expiresAt = new Date(Date.now() + 30 * 24 * 3600 * 1000);
  return {
    getSessionAndUser: async (id) => [
      { id, userId: "user-1", expiresAt, attributes: {} },
      { id: "user-1", attributes: {} },
    ],
    getUserSessions: async () => [],
    setSession: async () => {},
    updateSessionExpiration: async () => {},
    deleteSession: async () => {},
    deleteUserSessions: async () => {},
    deleteExpiredSessions: async () => {},
  };
}

async function buildGroups(): Promise<MicroGroup[]> {
  const fixed = new FixedRecordStore();
  const onFixed = createSessions({ store: fixed });
  const { token } = await onFixed.create({ userId: "user-1", client: CLIENT });
  const unbound = createSessions({
    store: new FixedRecordStore(),
    binding: { ip: "off", userAgent: "off" },
  });
  const { token: unboundToken } = await unbound.create({ userId: "user-1" });
  const memory = createSessions({ store: new MemoryStore() });
  const onMemory = await memory.create({ userId: "user-1", client: CLIENT });
  const creating = createSessions({ store: new FixedRecordStore() });

  const lucia = new Lucia(fixedLuciaAdapter());
  const luciaSessionId = generateIdFromEntropySize(25);

  const issuer = "https://bench.tessera.test";
  const verifyOptions = (alg: string) => ({ algorithms: [alg], issuer, audience: "bench" });
  const sign = (alg: string, key: Parameters<SignJWT["sign"]>[0]) =>
    new SignJWT({})
      .setProtectedHeader({ alg })
      .setSubject("user-1")
      .setIssuer(issuer)
      .setAudience("bench")
      .setIssuedAt()
      .setExpirationTime("15m")
      .sign(key);
  const hsKey = crypto.getRandomValues(new Uint8Array(32));
  const es = await generateKeyPair("ES256");
  const ed = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const hsJwt = await sign("HS256", hsKey);
  const esJwt = await sign("ES256", es.privateKey);
  const edJwt = await sign("EdDSA", ed.privateKey);
  const ironPassword = "bench-only password of at least thirty-two characters";
  const sealed = await sealData({ userId: "user-1" }, { password: ironPassword });

  const secret = encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
  const secretBytes = new TextEncoder().encode(secret);
  const storedDigest = sha256(secretBytes);
  const storedNodeDigest = Buffer.from(storedDigest);
  const expiresAt = new Date(Date.now() + 3600_000);
  const cookieHeader = `theme=dark; _ga=GA1.1.123456789.1700000000; ${onFixed.cookie.name}=${token}; lang=en`;

  return [
    {
      name: "Credential check per request (CPU only, zero-latency store)",
      note: "Validate with a store whose get resolves at once; peers' verify/unseal of their own credential",
      tasks: [
        {
          name: "Tessera validate (fixed-record store)",
          run: () => onFixed.validate(token, CLIENT),
        },
        {
          name: "Tessera validate (MemoryStore, structuredClone per get)",
          run: () => memory.validate(onMemory.token, CLIENT),
        },
        {
          name: "Tessera validate, no client info (binding off)",
          run: () => unbound.validate(unboundToken),
        },
        {
          name: "Lucia v3 validateSession (in-memory adapter)",
          run: () => lucia.validateSession(luciaSessionId),
        },
        {
          name: "jose jwtVerify HS256",
          run: () => jwtVerify(hsJwt, hsKey, verifyOptions("HS256")),
        },
        {
          name: "jose jwtVerify ES256",
          run: () => jwtVerify(esJwt, es.publicKey, verifyOptions("ES256")),
        },
        {
          name: "jose jwtVerify EdDSA",
          run: () => jwtVerify(edJwt, ed.publicKey, verifyOptions("EdDSA")),
        },
        {
          name: "iron-session unsealData",
          run: () => unsealData(sealed, { password: ironPassword }),
        },
      ],
    },
    {
      name: "Token generation",
      note: "A new session credential; Tessera's create includes hashing and building the record",
      tasks: [
        {
          name: "Tessera token recipe (getRandomValues 15+20 B, base32)",
          run: () =>
            `${encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(15)))}.${encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)))}`,
        },
        {
          name: "Tessera sessions.create (no-op store)",
          run: () => creating.create({ userId: "user-1", client: CLIENT }),
        },
        {
          name: "Lucia v3 generateIdFromEntropySize(25)",
          run: () => generateIdFromEntropySize(25),
        },
        {
          name: "node randomBytes(32) base64url",
          run: () => randomBytes(32).toString("base64url"),
        },
        { name: "crypto.randomUUID()", run: () => randomUUID() },
      ],
    },
    {
      name: "SHA-256 of a secret + constant-time compare",
      note: "The stored-hash check on the validate hot path",
      tasks: [
        {
          name: "@oslojs/crypto sha256 + constantTimeEqual (Tessera)",
          run: () => constantTimeEqual(sha256(secretBytes), storedDigest),
        },
        {
          // What core's (internal) hashSecret does per validate.
          name: "sha256 + base64url of the secret (Tessera's stored form)",
          run: () => encodeBase64urlNoPadding(sha256(secretBytes)),
        },
        {
          name: "crypto.subtle.digest + timingSafeEqual",
          run: async () =>
            timingSafeEqual(
              Buffer.from(await crypto.subtle.digest("SHA-256", secretBytes)),
              storedNodeDigest,
            ),
        },
        {
          name: "node:crypto createHash + timingSafeEqual (Node only)",
          run: () =>
            timingSafeEqual(createHash("sha256").update(secretBytes).digest(), storedNodeDigest),
        },
      ],
    },
    {
      name: "Cookie serialize",
      note: "One Set-Cookie value for a session token",
      tasks: [
        {
          name: "Tessera sessions.cookie.serialize",
          run: () => onFixed.cookie.serialize(token, expiresAt),
        },
        {
          name: "cookie.serialize (cookie@1, used by most peers)",
          run: () =>
            serializeCookie("__Host-session", token, {
              httpOnly: true,
              secure: true,
              sameSite: "lax",
              path: "/",
              maxAge: 3600,
            }),
        },
      ],
    },
    {
      name: "Cookie parse",
      note: "Find the session cookie in a Cookie header of four cookies",
      tasks: [
        { name: "Tessera sessions.cookie.parse", run: () => onFixed.cookie.parse(cookieHeader) },
        { name: "cookie.parse (cookie@1)", run: () => parseCookie(cookieHeader)["__Host-session"] },
        { name: "Lucia v3 readSessionCookie", run: () => lucia.readSessionCookie(cookieHeader) },
      ],
    },
  ];
}

/** Process CPU time in nanoseconds (microsecond resolution; mitata batches short operations). */
function cpuNow(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1000;
}

/** How many calls make about 2 ms (a multiple of 4), estimated over 20 ms of calls (after a short warm-up). */
async function batchSize(once: () => unknown): Promise<number> {
  for (let i = 0; i < 50; i++) await once();
  let calls = 0;
  const start = cpuNow();
  while (cpuNow() - start < 20e6) {
    for (let i = 0; i < 16; i++) await once();
    calls += 16;
  }
  const perCall = (cpuNow() - start) / calls;
  // mitata runs a batch as (batch / 4) loops of 4 unrolled calls: keep it a multiple of 4.
  return 4 * Math.max(1, Math.min(16_384, Math.round(2e6 / perCall / 4)));
}

/** Runs every group `rounds` times; `cpuMs` is mitata's minimum CPU time per task per round. */
export async function runMicro(
  settings: { rounds: number; cpuMs: number },
  log: (line: string) => void = () => {},
): Promise<MicroResults> {
  const groups = await buildGroups();
  const perRound = new Map<string, number[]>();
  const ratios = new Map<string, number[]>();
  const key = (group: MicroGroup, task: MicroTask) => `${group.name}\u0000${task.name}`;
  for (let round = 0; round < settings.rounds; round++) {
    for (const group of groups) {
      const times = new Map<MicroTask, number>();
      for (const task of group.tasks) {
        const run = task.run;
        const once = () => {
          const value = run();
          if (value instanceof Promise) return value.then(do_not_optimize);
          do_not_optimize(value);
        };
        const stats = await measure(once, {
          min_cpu_time: settings.cpuMs * 1e6,
          now: cpuNow,
          // Always batch, sized so that one sample is ~2 ms of CPU: far above the clock's 1 µs
          // resolution, whatever the operation costs.
          batch_threshold: Number.MAX_SAFE_INTEGER,
          warmup_threshold: Number.MAX_SAFE_INTEGER,
          batch_samples: await batchSize(once),
        });
        times.set(task, stats.p50);
        perRound.set(key(group, task), [...(perRound.get(key(group, task)) ?? []), stats.p50]);
      }
      const baseline = times.get(group.tasks[0]!)!;
      for (const [task, ns] of times) {
        ratios.set(key(group, task), [...(ratios.get(key(group, task)) ?? []), ns / baseline]);
      }
    }
    log(`micro: round ${round + 1}/${settings.rounds} done`);
  }
  return {
    groups: groups.map((g) => ({ name: g.name, note: g.note, baseline: g.tasks[0]!.name })),
    results: groups.flatMap((group) =>
      group.tasks.map((task) => {
        const rounds = perRound.get(key(group, task)) ?? [];
        return {
          group: group.name,
          name: task.name,
          ns: median(rounds),
          rounds,
          ratio: median(ratios.get(key(group, task)) ?? []),
        };
      }),
    ),
  };
}
