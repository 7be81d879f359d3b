/**
 * The partitions a polling consumer owns, one state per acquisition: pure logic (no kafkajs,
 * no Nest), driven by group joins, claims, fencing and crashes.
 *
 * A partition is *acquired* at the join that assigns it to this member after it was not (or
 * after this member rejoined under a new member id, or lost it to fencing): it gets a new
 * state whose `generation` is that join's number. A partition assigned again at the next join
 * is *kept*: same state, same generation. Records and offsets are tied to the state they were
 * polled under, so nothing polled under an earlier acquisition is ever committed.
 */

/** `claiming`: its stored offset is being loaded; `ready`: records flow; `lost`: fenced off or crashed, until the next join. */
export type PartitionStatus = 'claiming' | 'ready' | 'lost';

export interface OwnedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** Number of the join that acquired it. */
  readonly generation: number;
  status: PartitionStatus;
  /** Fencing token of the offset store's claim. */
  epoch?: number;
  /**
   * Highest offset taken into the buffer, or the one before a position sought to (so the next
   * fetch starts at `fetchedUpTo + 1`); -Infinity while the position is kafkajs' (the group's
   * committed offset, else `fromBeginning`).
   */
  fetchedUpTo: number;
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

export class PollingAssignment {
  private readonly owned = new Map<string, OwnedPartition>();
  private memberId: string | undefined;
  /** Count of joins seen. */
  generation = 0;

  /** @param claimsOffsets the offset store is external: a new acquisition loads (claims) its offset before records flow. */
  constructor(private readonly claimsOffsets: boolean) {}

  /** Applies a join: which partitions were acquired, kept and revoked. */
  onJoin(memberId: string, memberAssignment: Readonly<Record<string, readonly number[]>>): JoinOutcome {
    this.generation++;
    const rejoined = this.memberId !== undefined && this.memberId !== memberId;
    this.memberId = memberId;
    const assigned = new Set<string>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) assigned.add(partitionKey(topic, partition));
    }
    const revoked: OwnedPartition[] = [];
    for (const [key, owner] of this.owned) {
      if (rejoined || owner.status === 'lost' || !assigned.has(key)) {
        revoked.push(owner);
        this.owned.delete(key);
      }
    }
    const acquired: OwnedPartition[] = [];
    const kept: OwnedPartition[] = [];
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        const existing = this.owned.get(key);
        if (existing) {
          kept.push(existing);
          continue;
        }
        const owner: OwnedPartition = {
          topic,
          partition,
          key,
          generation: this.generation,
          status: this.claimsOffsets ? 'claiming' : 'ready',
          fetchedUpTo: Number.NEGATIVE_INFINITY,
          committed: -1,
        };
        this.owned.set(key, owner);
        acquired.push(owner);
      }
    }
    return { acquired, kept, revoked, rejoined };
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
    if (!this.isCurrent(owner) || owner.status !== 'claiming') return false;
    owner.epoch = claim?.epoch;
    if (claim?.offset !== undefined) owner.fetchedUpTo = Number(claim.offset) - 1;
    owner.status = 'ready';
    return true;
  }

  /** These partitions are no longer this member's (fenced, crashed): nothing of them is returned or committed until a join assigns them again. */
  markLost(owners: Iterable<OwnedPartition>): void {
    for (const owner of owners) owner.status = 'lost';
  }

  /** Forgets every partition (close). */
  clear(): void {
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
}
