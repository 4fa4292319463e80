/**
 * The layout of a table store's row, built from its `PerField` column map, and a once-per-
 * millisecond memo for formatting "now" as a statement parameter: what every SQL store needs and
 * would otherwise write out again.
 */
import type { PerField, RecordField } from "./fields.js";

/** A store's column map: for each record field, the columns it is kept in (`client` may take several). */
export type ColumnMap = PerField<readonly string[]>;

/** Any column of a column map. */
export type ColumnOf<M extends ColumnMap> = M[RecordField][number];

/** A column of a column map written on every update: all but the `id` and `userId` ones. */
export type MutableColumnOf<M extends ColumnMap> = Exclude<
  ColumnOf<M>,
  M["id"][number] | M["userId"][number]
>;

/** Where each column sits in a row a store selects, and which columns an update writes. */
export interface ColumnLayout<M extends ColumnMap> {
  /** Every column, in the order of the record's fields (the order reads select them). */
  readonly columns: readonly ColumnOf<M>[];
  /** The position of each column in a selected row: `row[at[column]]` is that column's value. */
  readonly at: Readonly<Record<ColumnOf<M>, number>>;
  /** The columns an update writes, in the same order: every one but `id`'s and `userId`'s. */
  readonly mutable: readonly MutableColumnOf<M>[];
}

/**
 * Lays out a store's columns from its column map, so a codec reads a selected row by position
 * (`row[at.expiresAt]`) rather than by name.
 *
 * @example
 * ```ts
 * const COLUMNS = { id: ["id"], client: ["clientIp", "clientUa", "clientDeviceId"], ... } as const;
 * const { columns, at, mutable } = columnLayout(COLUMNS);
 * // columns: ["id", ..., "clientIp", "clientUa", "clientDeviceId", ...]; at.clientUa: its index
 * ```
 */
export function columnLayout<const M extends ColumnMap>(map: M): ColumnLayout<M> {
  const columns = Object.values(map).flat() as ColumnOf<M>[];
  const fixed = new Set<string>([...map.id, ...map.userId]);
  return {
    columns: Object.freeze(columns),
    at: Object.freeze(
      Object.fromEntries(columns.map((column, index) => [column, index])),
    ) as Record<ColumnOf<M>, number>,
    mutable: Object.freeze(
      columns.filter((column): column is MutableColumnOf<M> => !fixed.has(column)),
    ),
  };
}

/**
 * Wraps a formatter of epoch milliseconds so that calls within the same millisecond share one
 * result: a store that sends "now" as text with every read (`2026-12-07T18:00:00.000Z`) formats it
 * once per millisecond, not once per request. Each call of this function has its own memo.
 *
 * @example
 * ```ts
 * const iso = oncePerMillisecond((ms) => new Date(ms).toISOString());
 * iso(Date.now()); // formatted; a second call in the same millisecond returns the same string
 * ```
 */
export function oncePerMillisecond(format: (ms: number) => string): (ms: number) => string {
  let lastMs = Number.NaN;
  let lastText = "";
  return (ms) => {
    if (ms !== lastMs) {
      lastText = format(ms);
      lastMs = ms;
    }
    return lastText;
  };
}
