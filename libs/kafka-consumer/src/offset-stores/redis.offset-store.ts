import { Injectable, Logger } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { describeError, storeTarget } from '../kafka-consumer.messages.js';
import { ConfigurableOffsetStore } from './configurable-offset-store.js';
import { importOptional } from './optional-dependency.js';
import type { ClaimedPartition, OffsetStoreScope, TopicPartition, TopicPartitionOffset } from './offset-store.js';

/** Options of `RedisOffsetStore.forRoot()` / `forRootAsync()`. */
export interface RedisOffsetStoreOptions {
  /** An ioredis client you own: used as is and never closed by the store. */
  client?: Redis;
  /**
   * A `redis://` URL or ioredis options of the client the store creates and closes itself when
   * `client` is not given. Defaults: `connectTimeout` 5000, `commandTimeout` 5000 (a black-holed
   * server fails a call with `OffsetStoreUnavailableError` instead of hanging until the TCP
   * timeout, ~15 min), `maxRetriesPerRequest` 2. Set the same on a `client` you pass in.
   */
  connection?: string | RedisOptions;
  /** Prefix of the per-group hash key `${keyPrefix}{${groupId}}`. Default `kafka-consumer:offsets:`. */
  keyPrefix?: string;
  /** How long `connect()` waits for the first reply, in ms. Default 5000. */
  connectTimeoutMs?: number;
}

// One hash per group; fields `e:<topic>:<partition>` (epoch) and `o:<topic>:<partition>` (next offset).
// ARGV: `<topic>:<partition>` per partition. Returns epoch, offset ('' when none) per partition.
const LOAD_SCRIPT = `
local out = {}
for i = 1, #ARGV do
  out[#out + 1] = redis.call('HINCRBY', KEYS[1], 'e:' .. ARGV[i], 1)
  out[#out + 1] = redis.call('HGET', KEYS[1], 'o:' .. ARGV[i]) or ''
end
return out`;

// ARGV: triples `<topic>:<partition>`, next offset, epoch. All or nothing: any stale epoch writes
// nothing and returns the stale partitions; an offset only ever moves forward.
const SAVE_SCRIPT = `
local stale = {}
for i = 1, #ARGV, 3 do
  if redis.call('HGET', KEYS[1], 'e:' .. ARGV[i]) ~= ARGV[i + 2] then stale[#stale + 1] = ARGV[i] end
end
if #stale > 0 then return stale end
for i = 1, #ARGV, 3 do
  local field = 'o:' .. ARGV[i]
  local stored = redis.call('HGET', KEYS[1], field)
  if not stored or tonumber(stored) < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], field, ARGV[i + 1]) end
end
return stale`;

type ScriptedRedis = Redis & {
  kafkaConsumerLoadOffsets(key: string, ...args: string[]): Promise<Array<number | string>>;
  kafkaConsumerSaveOffsets(key: string, ...args: string[]): Promise<string[]>;
};

/**
 * Offsets in Redis: one hash per group holding each partition's next offset and fencing epoch.
 * `load` claims partitions (increments their epoch) and `save` is one Lua script, so it is atomic
 * and fenced: a stale epoch rejects the whole save with `StaleOffsetWriteError`; offsets never
 * move backwards. Durability is Redis's (enable AOF with `appendfsync everysec` or `always`).
 *
 * ```ts
 * imports: [
 *   RedisOffsetStore.forRoot({ connection: 'redis://127.0.0.1:6379' }),
 *   KafkaConsumerModule.forRoot({ client, offsetStore: RedisOffsetStore }),
 * ]
 * ```
 * Needs the optional peer dependency `ioredis`.
 */
@Injectable()
export class RedisOffsetStore extends ConfigurableOffsetStore<RedisOffsetStoreOptions>('RedisOffsetStore') {
  private readonly logger = new Logger('RedisOffsetStore');
  private redis: ScriptedRedis | null = null;

  private get keyPrefix(): string {
    return this.options.keyPrefix ?? 'kafka-consumer:offsets:';
  }

  /** Key of a group's hash (hash-tagged by group, so a cluster keeps it on one slot). */
  keyOf(groupId: string): string {
    return `${this.keyPrefix}{${groupId}}`;
  }

  async load(scope: OffsetStoreScope, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]> {
    if (partitions.length === 0) return [];
    const reply = await this.call('load', () =>
      this.requireRedis().kafkaConsumerLoadOffsets(
        this.keyOf(scope.groupId),
        ...partitions.map(({ topic, partition }) => `${topic}:${partition}`),
      ),
    );
    return partitions.map(({ topic, partition }, i) => {
      const offset = String(reply[i * 2 + 1]);
      return { topic, partition, epoch: Number(reply[i * 2]), offset: offset === '' ? undefined : offset };
    });
  }

  async save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const stale = await this.call('save', () =>
      this.requireRedis().kafkaConsumerSaveOffsets(
        this.keyOf(scope.groupId),
        ...offsets.flatMap(({ topic, partition, offset, epoch }) => [
          `${topic}:${partition}`,
          offset,
          epoch === undefined ? '' : String(epoch),
        ]),
      ),
    );
    if (stale.length === 0) return;
    throw new StaleOffsetWriteError(
      scope.groupId,
      stale.map((field) => {
        const at = field.lastIndexOf(':');
        return { topic: field.slice(0, at), partition: Number(field.slice(at + 1)) };
      }),
    );
  }

  protected async open(): Promise<void> {
    const { Redis } = await importOptional(() => import('ioredis'), 'ioredis', 'RedisOffsetStore');
    const own = !this.options.client;
    const connection = this.options.connection;
    const defaults: RedisOptions = {
      lazyConnect: true,
      connectTimeout: 5000,
      commandTimeout: 5000,
      maxRetriesPerRequest: 2,
    };
    const timeoutMs = this.options.connectTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    let redis: ScriptedRedis | undefined;
    try {
      // Inside the try: ioredis parses a URL in its constructor and may throw with the URL attached.
      redis = (this.options.client ??
        (typeof connection === 'string'
          ? new Redis(connection, defaults)
          : new Redis({ ...defaults, ...connection }))) as ScriptedRedis;
      // ioredis reconnects by itself; without a listener an 'error' event would crash the process.
      if (own) redis.on('error', (error) => this.logger.debug?.(`connection error: ${describeError(error)}`));
      if (own) await redis.connect();
      await Promise.race([
        redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      if (own) redis?.disconnect();
      throw this.unreachable(error);
    } finally {
      clearTimeout(timer);
    }
    redis.defineCommand('kafkaConsumerLoadOffsets', { numberOfKeys: 1, lua: LOAD_SCRIPT });
    redis.defineCommand('kafkaConsumerSaveOffsets', { numberOfKeys: 1, lua: SAVE_SCRIPT });
    this.redis = redis;
  }

  protected async close(): Promise<void> {
    const redis = this.redis;
    this.redis = null;
    if (redis && !this.options.client) await redis.quit().catch(() => redis.disconnect());
  }

  protected describeTarget(): string {
    const connection = this.options.connection;
    if (this.options.client) return 'Redis (client given in options)';
    if (connection === undefined) return 'Redis at 127.0.0.1:6379';
    if (typeof connection === 'string') return storeTarget('Redis', { url: connection }, '');
    return storeTarget('Redis', { host: connection.host ?? '127.0.0.1', port: connection.port ?? 6379 }, '');
  }

  private requireRedis(): ScriptedRedis {
    return this.requireConnected(this.redis);
  }
}
