/**
 * One lane of the soak: one store, one server, its simulated users and thief, its clock warps and
 * its chaos. Every request is real HTTP on loopback; every figure is counted here.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { SessionRecord } from "@tessera/core/store";
import type { Backend, Scenario } from "./backends.js";
import { emptyFailure, emptyFigures, type FailureFigures, type LaneFigures } from "./figures.js";
import { type Clock, LICENCE_SEATS, SETTINGS, type SoakServer, startServer } from "./server.js";

/** A seeded pseudo-random source (mulberry32): the same seed makes the same choices. */
export function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    between: (low: number, high: number) => low + Math.floor(next() * (high - low + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
  };
}

const GRACE_MS = SETTINGS.rotation.grace * 1000;
/** Secrets back that reuse detection still recognises: the previous one and three retired. */
const SURE_RING_DEPTH = 3;
const LOST_RESPONSE = 0.08;
const UAS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
];
const THIEF_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0.0.0";

interface Device {
  kind: "browser" | "bearer";
  user: string;
  ua: string;
  token: string | null;
  /** Bumped each time the device gets a new token: orders its tokens. */
  serial: number;
  /** Pending thefts of this device's tokens. */
  steals: Theft[];
  /** Sleeps through this many more clock warps (a closed laptop). */
  asleepUntilWarp: number;
}

interface Theft {
  token: string;
  sessionId: string;
  victim: Device;
  /** The victim's `serial` when its token was stolen. */
  serial: number;
  /** `graceWarps` when the victim first succeeded with a newer token, or -1. */
  movedOnAt: number;
}

interface Sent {
  status: number;
  body: Record<string, unknown>;
  /** What the response would set, before the client decided whether it "lost" it. */
  newToken: string | null | undefined;
}

const idOf = (token: string) => token.slice(0, token.indexOf("."));

/** One run of an injected failure, while its answers are counted. */
interface FailureWindow {
  figures: FailureFigures;
  start: number;
  firstSuccess: number | null;
  lastUnavailable: number | null;
  recovered: number | null;
}
/** Answers still counted after the store is back: the 503s of requests already waiting. */
const FAILURE_TAIL_MS = 1000;

/** Runs one lane for `durationMs`; resolves with its figures. */
export async function runLane(
  backend: Backend,
  options: { durationMs: number; seed: number; users: number; log: (line: string) => void },
): Promise<LaneFigures> {
  const figures = emptyFigures(backend.name);
  const random = seeded(options.seed);
  const clock: Clock = { offsetMs: 0 };
  // The lifecycle events of each session, to explain a surprise when one happens.
  const history = new Map<string, string[]>();
  const server: SoakServer = await startServer(backend.store, clock, (event) => {
    if (!event.sessionId) return;
    const lines = history.get(event.sessionId) ?? [];
    lines.push(`${event.type}${event.detail ? `:${event.detail}` : ""}`);
    history.set(event.sessionId, lines.slice(-10));
  });
  const started = Date.now();
  const endsAt = started + options.durationMs;
  const log = (line: string) =>
    options.log(`[${backend.name} ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

  // Sessions that are meant to end (revokeAll sent, theft replayed): a 401 there is no surprise.
  const doomed = new Set<string>();
  // Pauses nest (a clock warp may come during a restart): requests wait until the last resume.
  let paused: Promise<void> | null = null;
  let release = () => {};
  let pauses = 0;
  let inFlight = 0;
  let warps = 0;
  let graceWarps = 0;
  let outage: { start: number } | null = null;
  let failure: FailureWindow | null = null;

  const pause = async () => {
    pauses++;
    paused ??= new Promise<void>((resolve) => {
      release = () => {
        paused = null;
        resolve();
      };
    });
    for (let waited = 0; inFlight > 0 && waited < 20_000; waited += 20) await sleep(20);
  };
  const resume = () => {
    pauses--;
    if (pauses === 0) release();
  };

  async function send(
    device: Pick<Device, "kind" | "ua">,
    token: string | null,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<Sent> {
    while (paused) await paused;
    inFlight++;
    const sentAt = Date.now();
    const headers: Record<string, string> = { "user-agent": device.ua };
    if (token && device.kind === "browser") headers.cookie = `session=${token}`;
    if (token && device.kind === "bearer") headers.authorization = `Bearer ${token}`;
    if (method === "POST") {
      headers["content-type"] = "application/json";
      if (device.kind === "browser") headers["sec-fetch-site"] = "same-origin";
    }
    try {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      figures.requests++;
      figures.byStatus[response.status] = (figures.byStatus[response.status] ?? 0) + 1;
      const window = failure;
      if (window && sentAt >= window.start) {
        const counted = window.figures;
        const after = Date.now() - window.start;
        counted.requests++;
        if (response.status >= 200 && response.status < 300) {
          counted.served++;
          window.firstSuccess ??= after;
        } else if (response.status === 503 && response.headers.has("retry-after")) {
          counted.unavailable++;
          window.lastUnavailable = after;
        } else if (response.status >= 500) {
          counted.errors++;
          if (counted.examples.length < 10) {
            counted.examples.push(
              `${counted.scenario}: ${method} ${path} -> ${response.status} ${text.slice(0, 80)}`,
            );
          }
        }
      }
      if (outage && sentAt >= outage.start + 100) {
        figures.outage.requests++;
        if (response.status !== 503) {
          figures.outage.not503++;
          figures.outage.examples.push(
            `${method} ${path} -> ${response.status} ${text.slice(0, 80)}`,
          );
        }
      }
      let newToken: string | null | undefined;
      if (device.kind === "browser") {
        for (const cookie of response.headers.getSetCookie()) {
          if (!cookie.startsWith("session=")) continue;
          const value = cookie.slice("session=".length, cookie.indexOf(";"));
          newToken = value === "" ? null : value;
        }
      } else {
        const header = response.headers.get("tessera-token");
        if (header !== null) newToken = header === "" ? null : header;
      }
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // not JSON: the status says enough
      }
      return { status: response.status, body: parsed, newToken };
    } finally {
      inFlight--;
    }
  }

  /** Applies what a response set, unless the client "lost" it (the server answered anyway). */
  function receive(device: Device, sent: Sent, canLose: boolean) {
    if (sent.newToken === undefined) return;
    if (canLose && sent.newToken !== null && random.chance(LOST_RESPONSE)) {
      figures.lostResponses++;
      return;
    }
    if (sent.newToken !== null && sent.newToken !== device.token) device.serial++;
    device.token = sent.newToken;
  }

  /** A request that carries the device's session; handles 401 (logged out) and success. */
  async function call(device: Device, method: "GET" | "POST", path: string, body?: unknown) {
    const presented = device.token;
    const presentedSerial = device.serial;
    if (!presented) return login(device);
    const sent = await send(device, presented, method, path, body);
    if (sent.status === 401) {
      const sessionId = idOf(presented);
      if (!doomed.has(sessionId)) {
        figures.spuriousLogouts++;
        figures.spuriousExamples.push(
          `${device.kind} ${path}: ${String(sent.body.reason)} (session ${sessionId.slice(0, 6)})`,
        );
        log(
          `SPURIOUS LOGOUT ${device.kind} ${path}: ${String(sent.body.reason)} after ${(history.get(sessionId) ?? []).join(", ")}`,
        );
      }
      device.token = null;
      device.steals = [];
      return sent;
    }
    receive(device, sent, true);
    if (sent.status === 200) {
      // Moved on: it succeeded with a token it got after the theft (an older one still in
      // flight from another tab does not count).
      for (const theft of device.steals) {
        if (theft.movedOnAt < 0 && presentedSerial > theft.serial) theft.movedOnAt = graceWarps;
      }
    }
    return sent;
  }

  /** Per user: revokeAll calls in flight, and when the last one was answered. */
  const revoking = new Map<string, { inFlight: number; answeredAt: number }>();
  const revokingOf = (user: string) => {
    let entry = revoking.get(user);
    if (!entry) {
      entry = { inFlight: 0, answeredAt: 0 };
      revoking.set(user, entry);
    }
    return entry;
  };

  async function login(device: Device) {
    const sentAt = Date.now();
    const sent = await send(device, null, "POST", "/login", { userId: device.user });
    if (sent.status === 200) {
      device.token = device.kind === "bearer" ? String(sent.body.token) : (sent.newToken ?? null);
      device.serial++;
      device.steals = [];
      // A login that raced a "log out everywhere" of the same user may be ended by it.
      const race = revokingOf(device.user);
      if (device.token && (race.inFlight > 0 || race.answeredAt >= sentAt)) {
        doomed.add(idOf(device.token));
      }
    }
    return sent;
  }

  // Users: each with two browsers (several tabs) and a bearer client.
  const users = Array.from({ length: options.users }, (_, i) => `${backend.name}-user-${i}`);
  const devices: Device[] = users.flatMap((user) => [
    {
      kind: "browser",
      user,
      ua: random.pick(UAS),
      token: null,
      serial: 0,
      steals: [],
      asleepUntilWarp: 0,
    },
    {
      kind: "browser",
      user,
      ua: random.pick(UAS),
      token: null,
      serial: 0,
      steals: [],
      asleepUntilWarp: 0,
    },
    {
      kind: "bearer",
      user,
      ua: "tessera-soak-cli/1.0",
      token: null,
      serial: 0,
      steals: [],
      asleepUntilWarp: 0,
    },
  ]);

  async function browse(device: Device) {
    const tabs = device.kind === "browser" ? random.between(1, 4) : 2;
    await Promise.all(Array.from({ length: tabs }, () => call(device, "GET", "/api/me")));
  }

  async function stepUp(device: Device) {
    const copy = device.token; // someone copies the cookie before the step-up
    const stepped = await call(device, "POST", "/api/step-up");
    if (stepped.status !== 200) return;
    figures.stepUps++;
    const sensitive = await call(device, "GET", "/api/sensitive");
    if (sensitive.status === 403) figures.stepUpThenNotFresh++;
    if (!copy) return;
    // The copy holder tries the sensitive action. It is a second party in the session: when the
    // copy is already stale (past grace, or older than the previous secret) that is reuse, and
    // the honest browser is logged out with it, rightly. So the session counts as doomed.
    doomed.add(idOf(copy));
    const holder = { kind: "browser" as const, ua: THIEF_UA };
    let token: string | null = copy;
    for (let attempt = 0; attempt < 2 && token; attempt++) {
      const tried = await send(holder, token, "GET", "/api/sensitive");
      if (tried.status === 503) break;
      figures.freshCopies.presented++;
      if (tried.status === 200) {
        figures.freshCopies.freshAnswers++;
        log(`FRESH ANSWER to a pre-step-up copy of ${idOf(copy).slice(0, 6)}`);
      }
      token = tried.newToken ?? null; // the copy may be re-sent the stepped-up token
    }
  }

  async function logoutEverywhere(device: Device) {
    // Sometimes another device logs in just before: revokeAll must end it too.
    const sibling = devices.find((d) => d.user === device.user && d !== device && !d.token);
    if (sibling && random.chance(0.5)) await login(sibling);
    const keepCurrent = random.chance(0.5);
    const mine = devices.filter((d) => d.user === device.user && d.token);
    const ending = mine
      .filter((d) => !(keepCurrent && d === device))
      .map((d) => idOf(d.token as string));
    for (const id of ending) doomed.add(id);
    const race = revokingOf(device.user);
    race.inFlight++;
    let sent: Sent | undefined;
    try {
      sent = await call(device, "POST", "/api/logout-everywhere", { keepCurrent });
    } finally {
      race.inFlight--;
      race.answeredAt = Date.now();
    }
    if (sent?.status !== 200) return;
    figures.revokeAll.calls++;
    for (const id of ending) {
      figures.revokeAll.sessionsChecked++;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          if (await server.sessions.find(id)) {
            figures.revokeAll.aliveAfter++;
            log(`ALIVE after revokeAll: ${id.slice(0, 6)}`);
          }
          break;
        } catch {
          await sleep(100); // the store is down for a moment: ask again
        }
      }
    }
  }

  async function device_(device: Device) {
    while (Date.now() < endsAt) {
      await sleep(random.between(120, 400));
      if (warps < device.asleepUntilWarp) continue;
      const roll = random.next();
      if (!device.token) await login(device);
      else if (roll < 0.06 && device.kind === "browser") await stepUp(device);
      else if (roll < 0.08) device.asleepUntilWarp = warps + random.between(1, 3);
      else if (roll < 0.095) await logoutEverywhere(device);
      else await browse(device);
    }
  }

  async function thief() {
    const pending: Theft[] = [];
    while (Date.now() < endsAt) {
      await sleep(random.between(300, 900));
      if (pending.length < 3) {
        const victim = random.pick(devices);
        if (victim.token && !doomed.has(idOf(victim.token))) {
          const theft: Theft = {
            token: victim.token,
            sessionId: idOf(victim.token),
            victim,
            serial: victim.serial,
            movedOnAt: -1,
          };
          victim.steals.push(theft);
          pending.push(theft);
        }
      }
      for (const theft of [...pending]) {
        const gone = !theft.victim.steals.includes(theft);
        const newer = theft.victim.serial - theft.serial;
        if (gone || (theft.movedOnAt < 0 && newer > SURE_RING_DEPTH)) {
          pending.splice(pending.indexOf(theft), 1); // the session ended otherwise, or ran away
          continue;
        }
        if (theft.movedOnAt < 0 || graceWarps <= theft.movedOnAt) continue;
        // The victim presented a newer token and the clock has since moved past grace.
        doomed.add(theft.sessionId);
        const replay = await send({ kind: "browser", ua: THIEF_UA }, theft.token, "GET", "/api/me");
        if (replay.status === 503) continue; // the store is out: try again later
        pending.splice(pending.indexOf(theft), 1);
        theft.victim.steals = theft.victim.steals.filter((t) => t !== theft);
        const withinRing = newer <= SURE_RING_DEPTH;
        const bucket = withinRing ? figures.thefts : figures.theftsBeyondRing;
        if (replay.status === 401 && replay.body.reason === "not-found") continue; // ended before
        bucket.replayed++;
        if (replay.status === 200) {
          bucket.accepted++;
          log(
            `THIEF ACCEPTED on ${theft.sessionId.slice(0, 6)} (held ${newer} newer, moved on at ${theft.movedOnAt}, now ${graceWarps}) after ${(history.get(theft.sessionId) ?? []).join(", ")}`,
          );
          continue;
        }
        let revoked = false;
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            revoked = (await server.sessions.find(theft.sessionId)) === null;
            break;
          } catch {
            await sleep(100);
          }
        }
        if (replay.status === 401) bucket.refused++;
        if (replay.status === 401 && replay.body.reason === "reused" && revoked) {
          bucket.refusedAndRevoked++;
        } else if (withinRing) {
          figures.thefts.examples.push(
            `${replay.status} ${String(replay.body.reason)} revoked=${revoked}`,
          );
          log(`THEFT NOT REVOKED: ${replay.status} ${String(replay.body.reason)}`);
        }
      }
    }
  }

  /** Moves the server's clock forward while no request is in flight: everyone "paused". */
  async function warper() {
    while (Date.now() < endsAt - 2000) {
      await sleep(2500 + random.between(0, 1500));
      if (Date.now() >= endsAt - 2000) break;
      await pause();
      const step = random.pick([10_000, 45_000, 6 * 60_000]);
      clock.offsetMs += step;
      warps++;
      if (step > GRACE_MS) graceWarps++;
      figures.clockSkippedMs += step;
      resume();
    }
  }

  /** A raw store read, asked again while the store is briefly unreachable (a reconnect). */
  async function readStored(id: string): Promise<SessionRecord | null | undefined> {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        return await backend.store.get(id);
      } catch {
        await sleep(200);
      }
    }
    return undefined; // unreachable for ten seconds: not comparable
  }

  /** Snapshot what the store holds for every live session, as exact JSON (lane paused). */
  async function snapshot(): Promise<Map<string, string>> {
    const ids = new Set(
      devices.map((d) => d.token && idOf(d.token)).filter((id): id is string => !!id),
    );
    const held = new Map<string, string>();
    for (const id of ids) {
      const record = await readStored(id);
      if (record) held.set(id, canonical(record));
    }
    return held;
  }

  /** Runs one injected failure while the users go on, and counts what they saw. */
  async function inject(scenario: Scenario) {
    let counted = figures.failures.find((f) => f.scenario === scenario.name);
    if (!counted) {
      counted = emptyFailure(scenario.name);
      figures.failures.push(counted);
    }
    log(`chaos: ${scenario.name}`);
    const logoutsBefore = figures.spuriousLogouts;
    const holder: { window: FailureWindow | null } = { window: null };
    const target = counted;
    const outcome = await scenario.run({
      sessions: server.sessions,
      liveSessionIds: () =>
        devices.map((d) => d.token && idOf(d.token)).filter((id): id is string => !!id),
      injected: () => {
        holder.window = {
          figures: target,
          start: Date.now(),
          firstSuccess: null,
          lastUnavailable: null,
          recovered: null,
        };
        failure = holder.window;
      },
      recovered: () => {
        if (holder.window) holder.window.recovered = Date.now();
      },
      log,
    });
    const window = holder.window;
    if (window) {
      const tail = (window.recovered ?? Date.now()) + FAILURE_TAIL_MS - Date.now();
      if (tail > 0) await sleep(tail);
      failure = null;
      const longest = (a: number | null, b: number | null) =>
        a === null ? b : b === null ? a : Math.max(a, b);
      counted.firstSuccessMs = longest(counted.firstSuccessMs, window.firstSuccess);
      counted.lastUnavailableMs = longest(counted.lastUnavailableMs, window.lastUnavailable);
      counted.recoveryMs = longest(
        counted.recoveryMs,
        window.recovered === null ? null : window.recovered - window.start,
      );
    }
    counted.runs++;
    counted.logouts += figures.spuriousLogouts - logoutsBefore;
    counted.writesChecked += outcome.writesChecked;
    counted.writesLost += outcome.writesLost;
    counted.writesLostOutsideWindow += outcome.writesLostOutsideWindow;
    counted.notes.push(outcome.note);
    log(`chaos: ${scenario.name}: ${outcome.note}`);
  }

  async function chaos() {
    const cycles = options.durationMs >= 300_000 ? 3 : 1;
    const cycle = (options.durationMs - 8000) / cycles;
    const network = backend.proxies.length > 0;
    for (let i = 0; i < cycles; i++) {
      const at = (fraction: number) => started + 4000 + i * cycle + fraction * cycle;
      const until = async (time: number) => {
        const wait = time - Date.now();
        if (wait > 0) await sleep(wait);
      };
      if (network) {
        await until(at(0.1));
        log("chaos: slow store (+120 ms per chunk each way)");
        for (const proxy of backend.proxies) proxy.delayMs = 120;
        await sleep(Math.min(10_000, 0.15 * cycle));
        for (const proxy of backend.proxies) proxy.delayMs = 0;
        figures.chaos.slowWindows++;

        await until(at(0.35));
        log("chaos: store refuses connections for 3 s");
        await Promise.all(backend.proxies.map((proxy) => proxy.refuse()));
        outage = { start: Date.now() };
        await sleep(3000);
        outage = null;
        await Promise.all(backend.proxies.map((proxy) => proxy.accept()));
        figures.chaos.refusals++;
      }
      await until(at(0.6));
      log("chaos: store restart");
      await pause();
      const before = await snapshot();
      await backend.stopServer();
      outage = { start: Date.now() };
      resume();
      await sleep(2500);
      await pause();
      outage = null;
      await backend.startServer();
      for (let waited = 0; ; waited += 100) {
        try {
          await backend.store.get("a".repeat(24));
          break;
        } catch {
          if (waited > 60_000) throw new Error(`${backend.name} did not come back after a restart`);
          await sleep(100);
        }
      }
      for (const [id, record] of before) {
        const after = await readStored(id);
        if (after === undefined) continue;
        figures.restart.sessionsChecked++;
        if (!after) figures.restart.lost++;
        else if (canonical(after) !== record) figures.restart.corrupted++;
      }
      figures.chaos.restarts++;
      log(`chaos: store back, ${before.size} sessions compared`);
      resume();

      const scenarios = [...(backend.scenarios ?? [])].sort((a, b) => a.at - b.at);
      for (const scenario of scenarios) {
        await until(at(scenario.at));
        await inject(scenario);
      }
    }
  }

  /**
   * The policy checks, once the load is over and the store is healthy: parallel logins into a
   * limited class, guests whose cart must survive the login, and the kill switch.
   */
  async function policyChecks() {
    const counted = figures.policies;
    const browser = { kind: "browser" as const, ua: UAS[0]! };
    const limited = `limit-${options.seed}-${Math.floor(random.next() * 1e9)}`;
    counted.limit = LICENCE_SEATS;
    const logins = await Promise.all(
      Array.from({ length: 20 }, () =>
        send(browser, null, "POST", "/login", { userId: limited, policy: "licence" }),
      ),
    );
    counted.limitLogins += logins.length;
    const seats = await server.sessions.list(limited);
    counted.overLimit += Math.max(0, seats.length - LICENCE_SEATS);
    if (seats.length > LICENCE_SEATS) {
      counted.examples.push(`${seats.length} sessions of a ${LICENCE_SEATS}-seat class`);
    }

    const tokens: string[] = [];
    for (let guest = 0; guest < 10; guest++) {
      const cart = [`item-${guest}`, `item-${guest + 1}`];
      const started = await send(browser, null, "POST", "/guest", { cart });
      const guestToken = started.newToken ?? null;
      counted.guests++;
      const login = await send(browser, guestToken, "POST", "/login", {
        userId: `guest-${options.seed}-${guest}`,
      });
      const userToken = login.newToken ?? null;
      const me = userToken ? await send(browser, userToken, "GET", "/api/me") : null;
      const data = (me?.body.data ?? {}) as { cart?: unknown };
      if (!guestToken || JSON.stringify(data.cart) !== JSON.stringify(cart)) {
        counted.guestDataLost++;
        counted.examples.push(`guest ${guest}: cart ${JSON.stringify(data.cart)} after login`);
      }
      if (userToken) tokens.push(userToken);
    }

    for (const device of devices) if (device.token) tokens.push(device.token);
    for (const login of logins) if (login.newToken) tokens.push(login.newToken);
    await server.sessions.revokeIssuedBefore(new Date(Date.now() + clock.offsetMs));
    for (const token of tokens) {
      const answer = await send(browser, token, "GET", "/api/me");
      counted.revokedChecked++;
      if (answer.status >= 200 && answer.status < 300) {
        counted.aliveAfterGlobalRevoke++;
        counted.examples.push(`a session answered ${answer.status} after revokeIssuedBefore`);
      }
    }
    const after = await send(browser, null, "POST", "/login", { userId: `after-${options.seed}` });
    const check = after.newToken ? await send(browser, after.newToken, "GET", "/api/me") : null;
    counted.loginAfterRevoke = check !== null && check.status === 200;
    log(
      `policies: ${seats.length} of ${LICENCE_SEATS} seats after 20 logins, ` +
        `${counted.guestDataLost} of ${counted.guests} carts lost, ` +
        `${counted.aliveAfterGlobalRevoke} of ${counted.revokedChecked} alive after the global revoke`,
    );
  }

  try {
    await Promise.all([...devices.map(device_), thief(), warper(), chaos()]);
    await policyChecks();
  } finally {
    pauses = 0;
    release();
    await server.close();
  }
  figures.seconds = (Date.now() - started) / 1000;
  return figures;
}

/** A record as JSON with its keys sorted, for exact before/after comparison. */
function canonical(record: SessionRecord): string {
  return JSON.stringify(record, (_key, value: unknown) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}
