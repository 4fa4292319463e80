/**
 * The update and bind decisions: an application changing a live session's data, or the device
 * id it is bound to. Each is re-decided on the fresh record when a parallel write won, so a
 * mapping function (`d => ({ ...d, n: d.n + 1 })`) applies to what is stored, never to a copy
 * that was overwritten meanwhile.
 */
import { toStoredClient } from "../binding.js";
import { InvalidArgumentError } from "../errors.js";
import type { SessionData } from "../session.js";
import type { SessionRecord } from "../store/record.js";
import { checkData } from "./create.js";

/** The new data, or a function of the stored data. */
export type DataChange = SessionData | ((current: SessionData) => SessionData);

/** Decides the record with its data replaced (or mapped by `change`, on a copy). */
export function decideUpdate(record: SessionRecord, change: DataChange): SessionRecord {
  const value =
    typeof change === "function" ? change(structuredClone(record.data) as SessionData) : change;
  return { ...record, data: checkData(value) };
}

/** Rule "a device id is a non-empty string": the stored form, or `InvalidArgumentError`. */
export function checkDeviceId(binding: unknown): string {
  const deviceId = (binding as { deviceId?: unknown } | null)?.deviceId;
  if (typeof deviceId !== "string" || !deviceId) {
    throw new InvalidArgumentError("bind needs { deviceId: string }");
  }
  return toStoredClient({ deviceId }).deviceId as string;
}

/** Decides the record bound to `deviceId` (replacing any device id recorded before). */
export function decideBind(record: SessionRecord, deviceId: string): SessionRecord {
  return { ...record, client: { ...record.client, deviceId } };
}
