/**
 * Sliding windows keyed by a string (a network prefix, a user id), with bounded memory twice
 * over: each key keeps at most `threshold` hits (enough to tell whether `threshold` fell inside
 * the window), and at most `maxKeys` keys are kept, the least recently hit evicted first. A flood
 * of distinct keys therefore costs a fixed amount of memory; what it can do is push an older,
 * slower key out before it reaches its threshold (said in the README).
 */

/** One hit: when, and what to show as evidence. */
export interface Hit<E> {
  at: number;
  evidence: E;
}

interface Track<E> {
  hits: Hit<E>[];
  /** Until when this key stays quiet after firing (one alert per window, not one per event). */
  quietUntil: number;
}

/** A keyed set of sliding windows. */
export class SlidingWindows<E> {
  readonly #tracks = new Map<string, Track<E>>();
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;

  /** `threshold` hits inside `windowMs` fire; at most `maxKeys` keys are remembered. */
  constructor(threshold: number, windowMs: number, maxKeys: number) {
    this.#threshold = threshold;
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  /** Keys currently remembered. */
  get size(): number {
    return this.#tracks.size;
  }

  /**
   * Records a hit. Resolves to the hits inside the window (oldest first) when this hit brings
   * them to the threshold, else `null`. A key that fired stays quiet for one window.
   */
  hit(key: string, at: number, evidence: E): Hit<E>[] | null {
    const track = recall(this.#tracks, key, this.#maxKeys, () => ({ hits: [], quietUntil: 0 }));
    const since = at - this.#windowMs;
    const hits = track.hits.filter((earlier) => earlier.at > since);
    hits.push({ at, evidence });
    if (hits.length > this.#threshold) hits.splice(0, hits.length - this.#threshold);
    track.hits = hits;
    if (hits.length < this.#threshold || at < track.quietUntil) return null;
    track.quietUntil = at + this.#windowMs;
    return hits;
  }
}

/**
 * The entry of `key`, created if absent, moved to the most recent end of `map` (a Map iterates in
 * insertion order, so its first key is the least recently used). Past `maxKeys`, the least
 * recently used entry is evicted.
 */
export function recall<V>(map: Map<string, V>, key: string, maxKeys: number, create: () => V): V {
  let value = map.get(key);
  if (value !== undefined) {
    map.delete(key);
  } else {
    value = create();
    if (map.size >= maxKeys) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
  map.set(key, value);
  return value;
}

/** The distinct values of `values`, most recent last, at most `limit` of them. */
export function distinctRecent(values: Array<string | null | undefined>, limit: number): string[] {
  const seen = new Set<string>();
  for (let index = values.length - 1; index >= 0 && seen.size < limit; index--) {
    const value = values[index];
    if (value) seen.add(value);
  }
  return [...seen].reverse();
}
