/**
 * The names of the attributes a session item keeps, apart from its keys: shared by the item codec
 * (`item.ts`) and the layout check (`layout.ts`), which must not let a key or TTL attribute take
 * one of them.
 */
import { RECORD_FIELD_NAMES } from "@tessera/core/store";

/**
 * The record fields kept as attributes of their own name: every field but `id` and `userId`,
 * which live in the key and in the user attribute. Key and TTL attributes must not take these
 * names.
 */
export const RECORD_ATTRIBUTES = RECORD_FIELD_NAMES.filter(
  (field): field is RecordAttribute => field !== "id" && field !== "userId",
);

/** A record field kept as an attribute of its own name. */
export type RecordAttribute = Exclude<(typeof RECORD_FIELD_NAMES)[number], "id" | "userId">;

/**
 * Number attribute of an epoch item (the global epoch's shards, a user's epoch): epoch
 * milliseconds before which the sessions it covers were revoked. Key and TTL attributes must not
 * take this name either.
 */
export const EPOCH_ATTRIBUTE = "revokedBefore";
