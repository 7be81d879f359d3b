import { describe, expect, it } from 'vitest';
import { CommitFailedError } from '../errors/commit-failed.error.js';
import { OffsetStoreTimeoutError } from '../errors/offset-store-timeout.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { OffsetStore, type ClaimedPartition, type TopicPartitionOffset } from '../offset-stores/offset-store.js';
import { PollingAssignment, type OwnedPartition } from './polling-assignment.js';
import { PollingOffsets, type PollingOffsetsHost } from './polling-offsets.js';
import { WaitSignal } from './wait-signal.js';

/** A store whose `save` answers from a script, recording what it was given. */
class ScriptedStore extends OffsetStore {
  readonly saves: TopicPartitionOffset[][] = [];
  constructor(private readonly answers: Array<(offsets: readonly TopicPartitionOffset[]) => void>) {
    super();
  }
  async load(): Promise<ClaimedPartition[]> {
    return [];
  }
  async save(_scope: unknown, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.saves.push([...offsets]);
    this.answers.shift()?.(offsets);
  }
}

const generationOver = () => {
  // As kafkajs rejects: the broker's error as the cause of a KafkaJSNonRetriableError.
  throw Object.assign(new Error('Specified group generation id is not valid'), {
    cause: Object.assign(new Error('ILLEGAL_GENERATION'), { type: 'ILLEGAL_GENERATION' }),
  });
};

/** `join` simulates the group join that follows a refused commit; without it, no join comes (20 ms timeout). */
function setUp(store: OffsetStore, join?: (partitions: PollingAssignment) => void, timeoutMs?: number) {
  const partitions = new PollingAssignment(false);
  partitions.onJoin('m1', { t: [0, 1] });
  const fenced: OwnedPartition[] = [];
  const host: PollingOffsetsHost = {
    groupId: 'g',
    partitions,
    isRunning: () => true,
    assertRunning: () => undefined,
    crashError: () => null,
    isRejoinPending: () => false,
    joins: join ? ({ wait: async () => join(partitions) } as unknown as WaitSignal) : new WaitSignal(),
    joinTimeoutMs: 20,
    seek: () => undefined,
    syncFetch: () => undefined,
    onFenced: (owners) => {
      fenced.push(...owners);
      partitions.fenced(owners);
    },
  };
  const offsets = new PollingOffsets(store, { groupId: 'g', consumer: {} as never }, host, timeoutMs);
  const records = [
    { topic: 't', partition: 0, offset: '9', generation: 1 },
    { topic: 't', partition: 1, offset: '4', generation: 1 },
  ];
  return { partitions, offsets, records, fenced };
}

const saved = (store: ScriptedStore) => store.saves.map((s) => s.map((o) => `${o.partition}:${o.offset}`));

describe('PollingOffsets.commit', () => {
  it('after a rebalance refused it, commits again what was kept and names what was revoked', async () => {
    const store = new ScriptedStore([generationOver]);
    const { offsets, records } = setUp(store, (partitions) => partitions.onJoin('m1', { t: [0] }));
    const error = await offsets.commit(records).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitFailedError);
    expect((error as CommitFailedError).partitions).toEqual([{ topic: 't', partition: 1 }]);
    expect((error as CommitFailedError).code).toBe('KAFKA_CONSUMER_COMMIT_FAILED');
    expect(saved(store)).toEqual([['0:10', '1:5'], ['0:10']]);
  });

  it('resolves when every partition was kept across the rebalance', async () => {
    const store = new ScriptedStore([generationOver]);
    const { offsets, records, partitions } = setUp(store, (p) => p.onJoin('m1', { t: [0, 1] }));
    await offsets.commit(records);
    expect(saved(store)).toHaveLength(2);
    expect(partitions.get('t', 0)!.committed).toBe(10);
  });

  it('names every partition when this member rejoined under a new member id', async () => {
    const store = new ScriptedStore([generationOver]);
    const { offsets, records } = setUp(store, (p) => p.onJoin('m2', { t: [0, 1] }));
    const error = (await offsets.commit(records).catch((e: unknown) => e)) as CommitFailedError;
    expect(error.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(saved(store)).toHaveLength(1);
  });

  it('names every partition when no join follows in time', async () => {
    const store = new ScriptedStore([generationOver]);
    const { offsets, records } = setUp(store);
    const error = (await offsets.commit(records).catch((e: unknown) => e)) as CommitFailedError;
    expect(error.partitions).toHaveLength(2);
    expect(error.message).toContain('did not complete its rebalance within 20 ms');
  });

  it('drops partitions the store fenced off, saves the others again, and names the fenced ones', async () => {
    const store = new ScriptedStore([
      () => {
        throw new StaleOffsetWriteError('g', [{ topic: 't', partition: 1 }]);
      },
    ]);
    const { offsets, records, fenced } = setUp(store);
    const error = (await offsets.commit(records).catch((e: unknown) => e)) as CommitFailedError;
    expect(error).toBeInstanceOf(CommitFailedError);
    expect(error.cause).toBeInstanceOf(StaleOffsetWriteError);
    expect(error.partitions).toEqual([{ topic: 't', partition: 1 }]);
    expect(fenced.map((o) => o.partition)).toEqual([1]);
    expect(saved(store)).toEqual([['0:10', '1:5'], ['0:10']]);
  });

  it('passes other store errors through unchanged', async () => {
    const down = new Error('store down');
    const store = new ScriptedStore([
      () => {
        throw down;
      },
    ]);
    const { offsets, records } = setUp(store);
    await expect(offsets.commit(records)).rejects.toBe(down);
  });

  it('rejects with OffsetStoreTimeoutError when a save does not settle in time', async () => {
    class HangingStore extends ScriptedStore {
      override save(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const { offsets, records } = setUp(new HangingStore([]), undefined, 20);
    await expect(offsets.commit(records)).rejects.toBeInstanceOf(OffsetStoreTimeoutError);
  });

  it('runs commits one at a time, in call order', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class SlowStore extends ScriptedStore {
      override async save(scope: unknown, offsets: readonly TopicPartitionOffset[]): Promise<void> {
        order.push(`start ${offsets[0].offset}`);
        if (offsets[0].offset === '5') await gate;
        order.push(`end ${offsets[0].offset}`);
      }
    }
    const { offsets } = setUp(new SlowStore([]));
    const first = offsets.commit([{ topic: 't', partition: 0, offset: '4' }]);
    const second = offsets.commit([{ topic: 't', partition: 0, offset: '9' }]);
    await Promise.resolve();
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['start 5', 'end 5', 'start 10', 'end 10']);
  });
});
