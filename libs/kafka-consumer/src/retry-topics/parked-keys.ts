/**
 * The keys of one retry chain (a main topic and its retry topics) that have records waiting in a
 * retry topic, for `retryTopics.keyOrdered`: how many unprocessed records of each key sit on each
 * stage (1 = the first retry topic). Pure: no Kafka, no Nest. Built from the retry topics
 * themselves at startup (their records past the group's committed offsets), then kept up to date
 * as this process forwards and settles records.
 */
export class ParkedKeys {
  /** key -> waiting records per stage (index = stage). Keys with no waiting record are removed. */
  private readonly waiting = new Map<string, number[]>();

  /** A record of `key` now waits on `stage` (it was forwarded there, or found there at startup). */
  add(key: string, stage: number): void {
    let counts = this.waiting.get(key);
    if (!counts) this.waiting.set(key, (counts = []));
    counts[stage] = (counts[stage] ?? 0) + 1;
  }

  /** A record of `key` on `stage` was settled (processed, forwarded on, dead-lettered or skipped). */
  remove(key: string, stage: number): void {
    const counts = this.waiting.get(key);
    if (!counts || !counts[stage]) return;
    counts[stage] -= 1;
    if (counts.every((c) => !c)) this.waiting.delete(key);
  }

  /** True when a record of `key` waits on a stage after `stage`: a record of `key` on `stage` must follow it. */
  parkedAfter(key: string, stage: number): boolean {
    const counts = this.waiting.get(key);
    if (!counts) return false;
    for (let s = stage + 1; s < counts.length; s++) if (counts[s]) return true;
    return false;
  }

  /** Number of keys with a waiting record. */
  get size(): number {
    return this.waiting.size;
  }

  clear(): void {
    this.waiting.clear();
  }
}

/** What to do with a record of a key-ordered chain, read on `stage` (0 = the main topic). */
export type KeyOrderDecision = 'process' | 'follow';

/**
 * `follow`: an earlier record of the same key waits on a later stage, so this one is forwarded to
 * the next stage behind it instead of being processed. Records without a key are never held: they
 * have no order to keep.
 */
export function decideKeyOrder(parked: ParkedKeys, key: string | null, stage: number): KeyOrderDecision {
  if (key === null) return 'process';
  return parked.parkedAfter(key, stage) ? 'follow' : 'process';
}
