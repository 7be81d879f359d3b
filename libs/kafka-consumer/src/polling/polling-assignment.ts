import { PartitionLifecycle } from '../server/partition-lifecycle.js';

/**
 * The partitions a polling consumer owns, one state per acquisition: pure logic (no kafkajs,
 * no Nest). What happens to a partition on a join, a claim, a fence or a crash is decided by the
 * same `PartitionLifecycle` as for handlers; this class keeps what a polling consumer adds to
 * it: each acquisition's positions and the records polled under it.
 *
 * A partition is *acquired* at the join that assigns it to this member after it was not (or
 * after this member rejoined under a new member id or crashed), and again when it is claimed
 * again after a fence: it gets a new state whose `generation` is a new acquisition number. A
 * partition assigned again at the next join is *kept*: same state, same generation. Records and
 * offsets are tied to the state they were polled under, so nothing polled under an earlier
 * acquisition is ever committed.
 */

/** `claiming`: its stored offset is being loaded; `ready`: records flow; `lost`: fenced off or crashed, until the next join. */
export type PartitionStatus = 'claiming' | 'ready' | 'lost';

export interface OwnedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** Acquisition number: grows with every join that acquires partitions and every claim again after a fence. */
  readonly generation: number;
  /** Derived from the partition lifecycle: `lost` once this acquisition is no longer current. */
  readonly status: PartitionStatus;
  /** Fencing token of the offset store's claim. */
  epoch?: number;
  /**
   * Highest offset taken into the buffer, or the one before a position sought to (so the next
   * fetch starts at `fetchedUpTo + 1`); -Infinity while the position is kafkajs' (the group's
   * committed offset, else `fromBeginning`).
   */
  fetchedUpTo: number;
  /** First offset taken into the buffer under this acquisition. */
  firstTaken?: number;
  /** Next offset `commit()` stores: the last polled offset + 1, or a seek target; undefined before any poll. */
  position?: number;
  /** Highest next offset stored under this acquisition; -1 before any. */
  committed: number;
}

/** What a join changed. */
export interface JoinOutcome {
  readonly acquired: OwnedPartition[];
  readonly kept: OwnedPartition[];
  readonly revoked: OwnedPartition[];
  /** This member rejoined under a new member id: partitions may have had another owner meanwhile. */
  readonly rejoined: boolean;
}

/** A record (or what a caller kept of it) to commit. */
export interface CommitCandidate {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The acquisition it was polled under; absent: the current one. */
  readonly generation?: number;
}

/** A next offset to store for a partition of the current assignment. */
export interface PendingCommit {
  readonly owner: OwnedPartition;
  readonly next: number;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

interface Acquisition extends OwnedPartition {
  /** Token of this acquisition's claim in the lifecycle (external stores). */
  claim: number;
  /** A claim again after a fence: where to restart when the store holds no offset (what the fenced acquisition did not commit). */
  restartAt?: number;
}

export class PollingAssignment {
  private readonly owned = new Map<string, Acquisition>();
  private readonly lifecycle: PartitionLifecycle;
  private acquisitions = 0;

  /** @param claimsOffsets the offset store is external: a new acquisition loads (claims) its offset before records flow. */
  constructor(claimsOffsets: boolean) {
    // No zombie guard here (a polling consumer's records are returned by poll(), not dispatched):
    // membership never expires for the lifecycle; a rejoin under a new member id still revokes all.
    this.lifecycle = new PartitionLifecycle({ claims: claimsOffsets, sessionTimeoutMs: Number.POSITIVE_INFINITY });
  }

  /** Count of joins seen. */
  get generation(): number {
    return this.lifecycle.generation;
  }

  /** Applies a join: which partitions were acquired, kept and revoked. */
  onJoin(memberId: string, memberAssignment: Readonly<Record<string, readonly number[]>>): JoinOutcome {
    const plan = this.lifecycle.join(memberId, memberAssignment, Date.now());
    const keep = new Set(plan.keep);
    const revoked: OwnedPartition[] = [];
    const kept: OwnedPartition[] = [];
    for (const [key, owner] of this.owned) {
      if (keep.has(key)) {
        kept.push(owner);
      } else {
        // Revoked, held before a rejoin, or lost (fenced, crashed) since the last join.
        revoked.push(owner);
        this.owned.delete(key);
      }
    }
    const acquired = plan.adopt.length > 0 ? this.acquire(plan.adopt) : [];
    return { acquired, kept, revoked, rejoined: plan.rejoined };
  }

  /** The partition's state if this member owns it now. */
  get(topic: string, partition: number): OwnedPartition | undefined {
    return this.owned.get(partitionKey(topic, partition));
  }

  /** True while `owner` is the current acquisition of its partition and not lost. */
  isCurrent(owner: OwnedPartition): boolean {
    return this.owned.get(owner.key) === owner && owner.status !== 'lost';
  }

  all(): OwnedPartition[] {
    return [...this.owned.values()];
  }

  /** The store's claim of `owner` completed (with its stored offset, if any). False if it is no longer current. */
  markClaimed(owner: OwnedPartition, claim: { offset?: string; epoch?: number } | undefined): boolean {
    const current = this.owned.get(owner.key);
    if (current !== owner || !this.lifecycle.claimSettled(owner.key, current.claim)) return false;
    current.epoch = claim?.epoch;
    const start = claim?.offset !== undefined ? Number(claim.offset) : current.restartAt;
    if (start !== undefined) current.fetchedUpTo = start - 1;
    return true;
  }

  /**
   * The store fenced these acquisitions off (another claim is newer). As for handlers, one still
   * assigned here is claimed again once per join (a new acquisition, returned: claim it); the
   * others are lost until a join assigns them again.
   */
  fenced(owners: Iterable<OwnedPartition>): OwnedPartition[] {
    const keys = [...owners].filter((owner) => this.isCurrent(owner)).map((owner) => owner.key);
    const { reclaim } = this.lifecycle.fenced(keys, Date.now());
    return reclaim.map(({ topic, partition }) => {
      const fenced = this.owned.get(partitionKey(topic, partition))!;
      const [again] = this.acquire([{ topic, partition }]);
      // Records the fenced acquisition took but did not commit are polled again.
      const taken = fenced.firstTaken ?? (Number.isFinite(fenced.fetchedUpTo) ? fenced.fetchedUpTo + 1 : undefined);
      (again as Acquisition).restartAt = fenced.committed >= 0 ? fenced.committed : taken;
      return again;
    });
  }

  /** kafkajs crashed: no partition is this member's until the next join acquires them afresh. */
  crashed(): void {
    this.lifecycle.crashed();
  }

  /** Forgets every partition (close). */
  clear(): void {
    this.lifecycle.close();
    this.owned.clear();
  }

  /**
   * The next offsets to store: for `records`, each current partition up to its highest given
   * offset + 1, ignoring records polled under an earlier acquisition; without `records`, each
   * ready partition's position. Never an offset at or below what was stored under this acquisition.
   */
  pendingCommits(records?: readonly CommitCandidate[]): PendingCommit[] {
    const next = new Map<OwnedPartition, number>();
    if (records) {
      for (const record of records) {
        const owner = this.owned.get(partitionKey(record.topic, record.partition));
        if (!owner || owner.status !== 'ready') continue;
        if (record.generation !== undefined && record.generation !== owner.generation) continue;
        const offset = Number(record.offset) + 1;
        if (!Number.isSafeInteger(offset) || offset < 1) continue;
        if ((next.get(owner) ?? -1) < offset) next.set(owner, offset);
      }
    } else {
      for (const owner of this.owned.values()) {
        if (owner.status === 'ready' && owner.position !== undefined) next.set(owner, owner.position);
      }
    }
    return [...next]
      .filter(([owner, offset]) => offset > owner.committed)
      .map(([owner, offset]) => ({ owner, next: offset }));
  }

  /** Offsets of these commits were stored. */
  markCommitted(commits: readonly PendingCommit[]): void {
    for (const { owner, next } of commits) owner.committed = Math.max(owner.committed, next);
  }

  /** New acquisitions of partitions the lifecycle adopted: started at once (nothing drains in a polling consumer). */
  private acquire(partitions: ReadonlyArray<{ topic: string; partition: number }>): OwnedPartition[] {
    const generation = ++this.acquisitions;
    const { lifecycle } = this;
    return partitions.map(({ topic, partition }) => {
      const key = partitionKey(topic, partition);
      const decision = lifecycle.start(key);
      const owned = this.owned;
      const owner: Acquisition = {
        topic,
        partition,
        key,
        generation,
        claim: decision?.kind === 'claim' ? decision.claim : 0,
        fetchedUpTo: Number.NEGATIVE_INFINITY,
        committed: -1,
        get status(): PartitionStatus {
          if (owned.get(key) !== owner) return 'lost';
          const phase = lifecycle.phaseOf(key);
          if (phase === 'ready') return 'ready';
          return phase === 'claiming' || phase === 'assigned' ? 'claiming' : 'lost';
        },
      };
      this.owned.set(key, owner);
      return owner;
    });
  }
}
