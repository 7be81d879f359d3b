/**
 * Where a partition assigned to this member stands:
 * - `assigned`: ours since the last join; waits for a revoked worker of the same partition to drain;
 * - `claiming`: its stored offset is being loaded (external offset stores only);
 * - `ready`: records are fetched and dispatched;
 * - `lost`: an offset store fenced this member off it; claimed again at most once per generation.
 * A revoked partition has no entry: its worker drains (`draining`) and is forgotten.
 */
export type PartitionPhase = 'assigned' | 'claiming' | 'ready' | 'lost';

/** A topic partition as the lifecycle sees it. */
export interface LifecyclePartition {
  readonly topic: string;
  readonly partition: number;
}

export interface PartitionLifecycleOptions {
  /** Positions live in an external store: a newly assigned partition is claimed (`load`) before it runs. */
  readonly claims: boolean;
  /**
   * kafkajs' session timeout: a member whose membership was not confirmed (join or heartbeat) for
   * longer may have been replaced (it was frozen): it dispatches nothing until confirmed again.
   */
  readonly sessionTimeoutMs: number;
}

/** What a group join asks of the runner. */
export interface JoinPlan {
  /** Count of joins so far, this one included. */
  readonly generation: number;
  /** This member rejoined under a new member id, or after a crash: nothing it held is trusted. */
  readonly rejoined: boolean;
  /** Partitions whose worker must stop: revoked, lost, or held before a rejoin. */
  readonly retire: string[];
  /** Partitions kept by the same member: they go on where their worker is. */
  readonly keep: string[];
  /** Partitions that need a new worker. */
  readonly adopt: LifecyclePartition[];
}

/** What a fenced save asks of the runner. */
export interface FencePlan {
  /** Stop these partitions' workers. */
  readonly retire: string[];
  /** Adopt these again (a new claim): still assigned, first fence of this generation, membership confirmed. */
  readonly reclaim: LifecyclePartition[];
}

/** How a partition's work may start once its previous worker drained. */
export type StartDecision = { readonly kind: 'claim'; readonly claim: number } | { readonly kind: 'ready' } | null;

interface Entry extends LifecyclePartition {
  phase: PartitionPhase;
  /** Token of the claim in flight: a settled claim with another token is stale. */
  claim: number;
  /** Generation in which this partition was last claimed again after a fence. */
  reclaimedIn: number;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/**
 * The partition lifecycle of one consumer group member, as plain logic: it is told what kafkajs
 * and the offset store did (join, rebalance, heartbeat, crash, claim results, fences) and answers
 * what must happen to each partition. The runner owns the I/O and the workers.
 */
export class PartitionLifecycle {
  private readonly entries = new Map<string, Entry>();
  private readonly draining = new Set<string>();
  private memberId: string | undefined;
  private crashedSinceJoin = false;
  private closing = false;
  private claims = 0;
  private confirmedAt = Number.NEGATIVE_INFINITY;
  /** Count of group joins seen. */
  generation = 0;

  constructor(private readonly options: PartitionLifecycleOptions) {}

  /** Partitions the group assigned to this member at its last join (empty after a crash or close). */
  assigned(): LifecyclePartition[] {
    return [...this.entries.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  phaseOf(key: string): PartitionPhase | undefined {
    return this.entries.get(key)?.phase;
  }

  /** Whether a revoked worker of this partition still runs a record. */
  isDraining(key: string): boolean {
    return this.draining.has(key);
  }

  /** The group's join completed: `assignment` is this member's, `memberId` its id in this generation. */
  join(memberId: string, assignment: Record<string, readonly number[]>, now: number): JoinPlan {
    this.generation++;
    const rejoined = this.crashedSinceJoin || (this.memberId !== undefined && this.memberId !== memberId);
    this.memberId = memberId;
    this.crashedSinceJoin = false;
    this.confirmedAt = now;
    const assigned = new Map<string, LifecyclePartition>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) assigned.set(partitionKey(topic, partition), { topic, partition });
    }
    const retire: string[] = [];
    const keep: string[] = [];
    for (const [key, entry] of this.entries) {
      if (!rejoined && assigned.has(key) && entry.phase !== 'lost') {
        keep.push(key);
        continue;
      }
      // A lost partition's worker was already retired when it was fenced.
      if (entry.phase !== 'lost') retire.push(key);
      this.entries.delete(key);
    }
    const adopt: LifecyclePartition[] = [];
    for (const [key, partition] of assigned) {
      if (this.entries.has(key)) continue;
      this.entries.set(key, { ...partition, phase: 'assigned', claim: 0, reclaimedIn: 0 });
      adopt.push(partition);
    }
    return { generation: this.generation, rejoined, retire, keep, adopt };
  }

  /** A heartbeat sent at `sentAt` went through: the coordinator counted this member in then. */
  heartbeat(sentAt: number): void {
    this.confirmedAt = Math.max(this.confirmedAt, sentAt);
  }

  /** False while this member may have been replaced without knowing it yet, and after a crash. */
  mayDispatch(now: number): boolean {
    return !this.crashedSinceJoin && !this.closing && now - this.confirmedAt <= this.options.sessionTimeoutMs;
  }

  /**
   * kafkajs crashed and left the group: another member may own every partition now. All workers
   * stop (nothing is claimed or dispatched meanwhile); the next join adopts afresh.
   */
  crashed(): string[] {
    this.crashedSinceJoin = true;
    const retire = [...this.entries.keys()].filter((key) => this.entries.get(key)!.phase !== 'lost');
    this.entries.clear();
    return retire;
  }

  /** The group is being left: no claim starts or applies any more. */
  close(): string[] {
    this.closing = true;
    const keys = [...this.entries.keys()];
    this.entries.clear();
    return keys;
  }

  /** A retired worker still runs a record: a new worker of its partition waits for it. */
  drainStarted(key: string): void {
    this.draining.add(key);
  }

  /** The retired worker finished its record (or the grace period for it ran out). */
  drained(key: string): void {
    this.draining.delete(key);
  }

  /**
   * A newly adopted partition's previous worker has drained: claim it (external stores) or run it.
   * Null when the partition is no longer ours or no claim may start (crashed, closing).
   */
  start(key: string): StartDecision {
    const entry = this.entries.get(key);
    if (!entry || entry.phase !== 'assigned' || this.closing || this.crashedSinceJoin) return null;
    if (!this.options.claims) {
      entry.phase = 'ready';
      return { kind: 'ready' };
    }
    entry.phase = 'claiming';
    entry.claim = ++this.claims;
    return { kind: 'claim', claim: entry.claim };
  }

  /**
   * The partition is repositioned (a seek): its worker is replaced and the new one starts as a newly
   * assigned partition does (claimed again with an external store). False when it is not ready here.
   */
  restart(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry || entry.phase !== 'ready' || this.closing || this.crashedSinceJoin) return false;
    entry.phase = 'assigned';
    return true;
  }

  /** Whether the claim with this token is still the partition's current one (go on loading). */
  claimPending(key: string, claim: number): boolean {
    const entry = this.entries.get(key);
    return !!entry && entry.phase === 'claiming' && entry.claim === claim && !this.closing && !this.crashedSinceJoin;
  }

  /**
   * The store answered the claim. True: seek to its offset and run; false: the claim is stale (the
   * partition was revoked, lost, claimed again, or kafkajs crashed meanwhile): ignore its answer.
   */
  claimSettled(key: string, claim: number): boolean {
    if (!this.claimPending(key, claim)) return false;
    this.entries.get(key)!.phase = 'ready';
    return true;
  }

  /**
   * The store rejected saves of these partitions as stale: another claim is newer than ours. Each
   * is claimed again once per generation while it is still assigned and the membership is
   * confirmed (a late claim of an ex-owner is a one-off); else it waits for the next join.
   */
  fenced(keys: readonly string[], now: number): FencePlan {
    const retire: string[] = [];
    const reclaim: LifecyclePartition[] = [];
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry || entry.phase === 'lost') continue;
      retire.push(key);
      if (entry.reclaimedIn !== this.generation && this.mayDispatch(now)) {
        this.entries.set(key, {
          topic: entry.topic,
          partition: entry.partition,
          phase: 'assigned',
          claim: 0,
          reclaimedIn: this.generation,
        });
        reclaim.push({ topic: entry.topic, partition: entry.partition });
      } else {
        entry.phase = 'lost';
      }
    }
    return { retire, reclaim };
  }
}
