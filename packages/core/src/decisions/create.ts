/**
 * The create decision: the record a login starts, its token, and its event. Fresh at once
 * (a login is an authentication), bound to the client that logged in.
 */
import { type ClientInfo, toStoredClient } from "../binding.js";
import type { PlannedEvent } from "../decision.js";
import { InvalidArgumentError } from "../errors.js";
import type { UserRecord } from "../session.js";
import type { SessionRecord } from "../store/record.js";
import { formatToken, generateSecret, generateSessionId, hashSecret } from "../token.js";

const MAX_USER_ID_LENGTH = 256;

/** What a new session takes from its policy class: its name and lifetimes, in milliseconds. */
export interface CreatePolicy {
  /** The class name stored on the record. @defaultValue `"default"` */
  name?: string;
  idleMs: number;
  absoluteMs: number;
  freshMs: number;
}

/** Who a new session is for: a user (`impersonatedBy` for an admin acting as them), or a guest. */
export type CreateKind = { impersonatedBy: string | null } | "guest";

/** Rule "user ids are bounded strings": throws `InvalidArgumentError` otherwise. */
export function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== "string" || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
    throw new InvalidArgumentError(
      `userId must be a non-empty string of at most ${MAX_USER_ID_LENGTH} characters`,
    );
  }
}

/** Rule "session data is a plain JSON object": a deep copy of it, or `InvalidArgumentError`. */
export function checkData(data: unknown): Record<string, unknown> {
  if (data === undefined) return {};
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new InvalidArgumentError("session data must be a plain JSON object");
  }
  try {
    return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
  } catch (cause) {
    throw new InvalidArgumentError("session data must be JSON-serialisable", { cause });
  }
}

/**
 * Decides the record of a new session for `input` at `at`, with the token to hand out once.
 * Rules "a login is fresh" (for its class's `freshFor`), "impersonation is never fresh".
 */
export function decideCreate(
  input: { userId: unknown; data?: unknown; client?: ClientInfo },
  at: number,
  policy: CreatePolicy,
  kind: { impersonatedBy: string | null } = { impersonatedBy: null },
): { record: UserRecord; token: string; events: PlannedEvent[] } {
  if (!input || typeof input !== "object")
    throw new InvalidArgumentError("create needs { userId }");
  checkUserId(input.userId);
  const made = newRecord(input.userId, input, at, policy, kind.impersonatedBy);
  return { ...made, record: made.record as UserRecord };
}

/**
 * Decides the record of a new guest session (rule "guests": no user, in no user index, never
 * fresh), with its token.
 */
export function decideGuest(
  input: { data?: unknown; client?: ClientInfo } | undefined,
  at: number,
  policy: CreatePolicy,
): { record: SessionRecord; token: string; events: PlannedEvent[] } {
  if (input !== undefined && (input === null || typeof input !== "object")) {
    throw new InvalidArgumentError("createGuest takes { data?, client? }");
  }
  return newRecord(null, input ?? {}, at, policy, null);
}

function newRecord(
  userId: string | null,
  input: { data?: unknown; client?: ClientInfo },
  at: number,
  policy: CreatePolicy,
  impersonatedBy: string | null,
): { record: SessionRecord; token: string; events: PlannedEvent[] } {
  const data = checkData(input.data);
  const secret = generateSecret();
  // Only a user's own login is an authentication: a guest or an admin acting as the user is not.
  const fresh = userId !== null && impersonatedBy === null;
  const record: SessionRecord = {
    id: generateSessionId(),
    userId,
    policy: policy.name ?? "default",
    impersonatedBy,
    version: 1,
    secretHash: hashSecret(secret),
    previousSecretHash: null,
    rotationNonce: null,
    retiredSecretHashes: [],
    data,
    createdAt: at,
    authenticatedAt: at,
    freshUntil: fresh ? at + policy.freshMs : at,
    lastActiveAt: at,
    rotatedAt: at,
    expiresAt: Math.min(at + policy.idleMs, at + policy.absoluteMs),
    absoluteExpiresAt: at + policy.absoluteMs,
    client: toStoredClient(input.client),
    dbsc: null,
  };
  const events: PlannedEvent[] = [{ type: "session.created", record, client: record.client }];
  return { record, token: formatToken(record.id, secret), events };
}
