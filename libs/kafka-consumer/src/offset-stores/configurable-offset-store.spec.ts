import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { OffsetStoreUnavailableError } from '../errors/offset-store-unavailable.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { storeTarget } from '../kafka-consumer.messages.js';
import { ConfigurableOffsetStore } from './configurable-offset-store.js';
import type { ClaimedPartition, OffsetStoreScope, TopicPartition, TopicPartitionOffset } from './offset-store.js';

interface MemoryOptions {
  url: string;
  failOpens?: number;
}

@Injectable()
class MemoryOffsetStore extends ConfigurableOffsetStore<MemoryOptions>('MemoryOffsetStore') {
  opens = 0;
  closes = 0;
  connection: object | null = null;

  protected async open(): Promise<void> {
    this.opens++;
    await Promise.resolve();
    if (this.opens <= (this.options.failOpens ?? 0))
      throw this.unreachable(new Error(`refused by ${this.options.url}`));
    this.connection = {};
  }

  protected async close(): Promise<void> {
    this.closes++;
    this.connection = null;
  }

  protected describeTarget(): string {
    return storeTarget('memory', { url: this.options.url }, '');
  }

  async load(_scope: OffsetStoreScope, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]> {
    this.requireConnected(this.connection);
    return partitions.map((p) => ({ ...p }));
  }

  async save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    await this.call('save', async () => {
      if (offsets.some((o) => o.epoch === -1)) throw new StaleOffsetWriteError(scope.groupId, offsets);
      throw new Error('no reply from memory://user:s3cret@mem:1/db within 10 ms');
    });
  }
}

const scope = { groupId: 'g' } as OffsetStoreScope;

describe('ConfigurableOffsetStore', () => {
  it('fails at construction without options, naming the store and forRoot', () => {
    expect(() => new MemoryOffsetStore()).toThrow(InvalidOptionsError);
    expect(() => new MemoryOffsetStore()).toThrow(
      /MemoryOffsetStore has no options: import MemoryOffsetStore\.forRoot/,
    );
  });

  it('opens once for concurrent and later connect() calls', async () => {
    const store = new MemoryOffsetStore({ url: 'mem' });
    await Promise.all([store.connect(), store.connect()]);
    await store.connect();
    expect(store.opens).toBe(1);
  });

  it('tries a failed open again on the next connect(), with an error naming the target', async () => {
    const store = new MemoryOffsetStore({ url: 'memory://user:s3cret@mem:1/db', failOpens: 1 });
    const error = await store.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsetStoreUnavailableError);
    expect((error as Error).message).toContain(
      'MemoryOffsetStore: cannot reach memory at memory://mem:1/db at startup: Error: refused by memory://mem:1/db',
    );
    expect(((error as Error).cause as Error).message).toBe('refused by memory://mem:1/db');
    await store.connect();
    expect(store.opens).toBe(2);
  });

  it('closes only what was opened, once', async () => {
    const store = new MemoryOffsetStore({ url: 'mem' });
    await store.disconnect();
    expect(store.closes).toBe(0);
    await store.connect();
    await store.disconnect();
    await store.disconnect();
    expect(store.closes).toBe(1);
    await expect(store.load(scope, [{ topic: 't', partition: 0 }])).rejects.toThrow(/not connected yet/);
  });

  it('turns a failed call into OffsetStoreUnavailableError without credentials, keeps fenced writes as they are', async () => {
    const store = new MemoryOffsetStore({ url: 'memory://mem' });
    const failed = await store.save(scope, [{ topic: 't', partition: 0, offset: '1' }]).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OffsetStoreUnavailableError);
    expect((failed as Error).message).toBe(
      'MemoryOffsetStore: save against memory at memory://mem failed: Error: no reply from memory://mem:1/db within 10 ms',
    );
    const stale = store.save(scope, [{ topic: 't', partition: 0, offset: '1', epoch: -1 }]);
    await expect(stale).rejects.toBeInstanceOf(StaleOffsetWriteError);
  });

  it('forRoot provides the store class with its options through DI', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MemoryOffsetStore.forRoot({ url: 'from-di' })],
    }).compile();
    const store = moduleRef.get(MemoryOffsetStore);
    expect(store).toBeInstanceOf(MemoryOffsetStore);
    await store.connect();
    expect(store.opens).toBe(1);
    await moduleRef.close();
  });

  it('forRootAsync provides the options from a factory', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MemoryOffsetStore.forRootAsync({ useFactory: () => ({ url: 'async', failOpens: 1 }) })],
    }).compile();
    await expect(moduleRef.get(MemoryOffsetStore).connect()).rejects.toThrow(/memory at \(redacted\)/);
    await moduleRef.close();
  });
});
