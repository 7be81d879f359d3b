import type { LoggerService } from '@nestjs/common';
import type { EachBatchPayload } from 'kafkajs';
import { pollingConsumerCrashed, pollingConsumerRestarts } from '../kafka-consumer.messages.js';
import type { TopicPartition } from '../offset-stores/offset-store.js';
import type { ValueDeserializer } from '../serialization/deserializer.js';
import type { KafkaGroupCommit } from '../server/group-commit.js';
import { PollingAssignment, type OwnedPartition } from './polling-assignment.js';
import type { PollingKafkaAdapter, PollingKafkaEvents } from './polling-kafka.adapter.js';
import { PauseTargets, type PauseTarget } from './pause-targets.js';
import { toPolledRecord, type PolledRecord } from './polled-record.js';
import { RecordBuffer } from './record-buffer.js';
import { WaitSignal } from './wait-signal.js';

/** What the fetch side needs from its polling consumer. */
export interface PollingFetcherHost {
  readonly groupId: string;
  readonly kafka: PollingKafkaAdapter;
  readonly deserialize: ValueDeserializer;
  readonly maxBufferedMessages: number;
  readonly logger?: LoggerService;
  /** Subscribed and not closed: kafkajs callbacks and fetch changes apply only then. */
  isRunning(): boolean;
  /** Claims (loads the stored offsets of) newly assigned partitions; their fetching waits meanwhile. */
  claim(owners: OwnedPartition[]): void;
}

/**
 * The fetch side of a polling consumer: takes kafkajs batches into the record buffer for the
 * partitions this member owns, follows group joins and crashes, and keeps each partition's
 * fetching paused or resumed as wanted (claiming, lost, paused by the user, or the buffer full).
 */
export class PollingFetcher {
  /** Partitions this member owns; re-created at `connect()` once the store says who claims offsets. */
  partitions = new PollingAssignment(false);
  /** Woken when records arrive (and at a crash or close). */
  readonly records = new WaitSignal();
  /** Woken at every join (and at a crash or close). */
  readonly joins = new WaitSignal();
  /** kafkajs crashed and restarts: partitions are owned again only after the next join. */
  rejoinPending = false;
  /** kafkajs crashed and does not restart. */
  crash: { error: unknown } | null = null;
  /** Kafka-store commits under the generation they were computed in (D2): told of each batch and crash. */
  groupCommit: KafkaGroupCommit | null = null;
  private readonly buffer: RecordBuffer;
  private readonly userPaused = new PauseTargets();

  constructor(private readonly host: PollingFetcherHost) {
    this.buffer = new RecordBuffer(host.maxBufferedMessages);
  }

  /** The kafkajs callbacks of the consumer. */
  events(): PollingKafkaEvents {
    return {
      onBatch: (payload) => this.onBatch(payload),
      onGroupJoin: (memberId, memberAssignment) => this.onGroupJoin(memberId, memberAssignment),
      onCrash: (error, restart) => this.onCrash(error, restart),
    };
  }

  /** Up to `maxMessages` buffered records of owned partitions. */
  take(maxMessages: number): PolledRecord[] {
    const { records, drained } = this.buffer.take(maxMessages, (owner) => this.partitions.isCurrent(owner));
    if (drained) this.syncFetch();
    return records;
  }

  /** Moves an owned partition's position to `target`, dropping its buffered records. */
  seek(owner: OwnedPartition, target: number): void {
    if (this.buffer.dropPartition(owner) !== undefined && !this.buffer.full) this.syncFetch();
    owner.fetchedUpTo = target - 1;
    owner.position = target;
    this.seekTo(owner, String(target));
  }

  /** Pauses topics or partitions; their buffered records are dropped and fetched again after `resume()`. */
  pause(targets: readonly PauseTarget[]): void {
    this.userPaused.pause(targets);
    for (const owner of this.partitions.all()) {
      if (!this.isUserPaused(owner)) continue;
      const first = this.buffer.dropPartition(owner);
      if (first === undefined) continue;
      owner.fetchedUpTo = first - 1;
      this.seekTo(owner, String(first));
    }
    this.syncFetch();
  }

  resume(targets: readonly PauseTarget[]): void {
    this.userPaused.resume(targets, this.assignment());
    this.syncFetch();
  }

  /** Assigned partitions paused by `pause()`. */
  paused(): TopicPartition[] {
    return this.assignment().filter(({ topic, partition }) => this.userPaused.has(topic, partition));
  }

  /** Partitions currently assigned to this consumer. */
  assignment(): TopicPartition[] {
    return this.partitions
      .all()
      .filter((owner) => owner.status !== 'lost')
      .map(({ topic, partition }) => ({ topic, partition }));
  }

  /**
   * The store fenced these partitions off: another claim is newer. Their buffered records are
   * dropped; one still assigned here is claimed again once per join (as for handlers), the
   * others wait for a join that assigns them again.
   */
  fence(owners: OwnedPartition[]): void {
    const reclaimed = this.partitions.fenced(owners);
    this.buffer.retainCurrent((owner) => this.partitions.isCurrent(owner));
    this.syncFetch();
    if (reclaimed.length > 0) this.host.claim(reclaimed);
  }

  /** Applies the wanted fetch state of every assigned partition: paused while claiming, lost, paused by the user or the buffer is full. */
  syncFetch(): void {
    if (!this.host.isRunning()) return;
    this.host.kafka.applyFetchStates(
      this.partitions.all().map((owner) => ({
        topic: owner.topic,
        partition: owner.partition,
        paused: this.buffer.full || owner.status !== 'ready' || this.isUserPaused(owner),
      })),
    );
  }

  seekTo(owner: OwnedPartition, offset: string): void {
    if (this.host.isRunning()) this.host.kafka.seek(owner.topic, owner.partition, offset);
  }

  /** At close: forgets partitions and records, and wakes every waiting `poll()` and commit. */
  clear(): void {
    this.partitions.clear();
    this.buffer.clear();
    this.records.wake();
    this.joins.wake();
  }

  private async onBatch({ batch, resolveOffset, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    if (!this.host.isRunning()) return;
    this.groupCommit?.track(commitOffsetsIfNecessary);
    const owner = this.partitions.get(batch.topic, batch.partition);
    // Claiming (fetched before the pause took effect), lost or paused: take nothing, kafkajs fetches it again.
    if (!owner || owner.status !== 'ready' || this.isUserPaused(owner)) return;
    const last = this.buffer.addBatch(
      owner,
      batch.messages,
      () => isStale() || !this.host.isRunning(),
      (message) => toPolledRecord(batch.topic, batch.partition, message, owner.generation, this.host.deserialize),
    );
    if (last !== undefined) resolveOffset(last);
    if (this.buffer.becameFull()) this.syncFetch();
    this.records.wake();
  }

  private onGroupJoin(memberId: string, memberAssignment: Record<string, number[]>): void {
    if (!this.host.isRunning()) return;
    const { acquired, kept } = this.partitions.onJoin(memberId, memberAssignment);
    this.rejoinPending = false;
    // Records of revoked partitions are their new owner's now.
    this.buffer.retainCurrent((owner) => this.partitions.isCurrent(owner));
    // kafkajs restarts every partition at its Kafka-committed offset after a join: a kept one goes on where it was.
    for (const owner of kept) {
      if (owner.status === 'ready' && Number.isFinite(owner.fetchedUpTo)) {
        this.seekTo(owner, String(owner.fetchedUpTo + 1));
      }
    }
    // kafkajs keeps pauses across a rebalance (same ConsumerGroup) and forgets them after a
    // crash-restart: apply the wanted state of every partition explicitly (S3).
    this.syncFetch();
    const claiming = acquired.filter((owner) => owner.status === 'claiming');
    if (claiming.length > 0) this.host.claim(claiming);
    this.joins.wake();
  }

  /**
   * kafkajs left the group after an error. Buffered records may belong to another member by the
   * time it rejoins: they are dropped. Without a restart, `poll()` and `commit()` reject from now on.
   */
  private onCrash(error: unknown, restart: boolean): void {
    this.partitions.crashed();
    this.groupCommit?.reset();
    this.buffer.clear();
    if (restart) {
      this.rejoinPending = true;
      this.host.logger?.warn(pollingConsumerRestarts(this.host.groupId, error));
    } else {
      this.crash = { error };
      this.host.logger?.error(pollingConsumerCrashed(this.host.groupId, error));
    }
    this.records.wake();
    this.joins.wake();
  }

  private isUserPaused(owner: OwnedPartition): boolean {
    return this.userPaused.has(owner.topic, owner.partition);
  }
}
