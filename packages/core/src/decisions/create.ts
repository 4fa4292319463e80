/**
 * The create decision: the record a login starts, its token, and its event. Fresh at once
 * (a login is an authentication), bound to the client that logged in.
 */
import { type ClientInfo, toStoredClient } from "../binding.js";
import type { PlannedEvent } from "../decision.js";
import { InvalidArgumentError } from "../errors.js";
import type { UserRecord } from "../session.js";
import { formatToken, generateSecret, generateSessionId, hashSecret } from "../token.js";

const MAX_USER_ID_LENGTH = 256;

/** Lifetimes a new session takes from its policy, in milliseconds. */
export interface CreatePolicy {
  idleMs: number;
  absoluteMs: number;
  freshMs: number;
}

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

/** Decides the record of a new session for `input` at `at`, with the token to hand out once. */
export function decideCreate(
  input: { userId: unknown; data?: unknown; client?: ClientInfo },
  at: number,
  policy: CreatePolicy,
): { record: UserRecord; token: string; events: PlannedEvent[] } {
  if (!input || typeof input !== "object")
    throw new InvalidArgumentError("create needs { userId }");
  checkUserId(input.userId);
  const data = checkData(input.data);
  const secret = generateSecret();
  const record: UserRecord = {
    id: generateSessionId(),
    userId: input.userId,
    policy: "default",
    impersonatedBy: null,
    version: 1,
    secretHash: hashSecret(secret),
    previousSecretHash: null,
    rotationNonce: null,
    retiredSecretHashes: [],
    data,
    createdAt: at,
    authenticatedAt: at,
    freshUntil: at + policy.freshMs,
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
