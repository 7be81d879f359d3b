import { Inject, Injectable, Logger, Module, Optional, type DynamicModule } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { OffsetStoreUnavailableError } from '../errors/offset-store-unavailable.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import {
  describeError,
  offsetStoreNotConfigured,
  offsetStoreNotConnected,
  offsetStoreUnreachable,
} from '../kafka-consumer.messages.js';
import { importOptional } from './optional-dependency.js';
import { offsetStoreModuleDefinition } from './offset-store.module-definition.js';
import {
  OffsetStore,
  type ClaimedPartition,
  type OffsetStoreScope,
  type TopicPartition,
  type TopicPartitionOffset,
} from './offset-store.js';

/** Options of `RedisOffsetStore.forRoot()` / `forRootAsync()`. */
export interface RedisOffsetStoreOptions {
  /** An ioredis client you own: used as is and never closed by the store. */
  client?: Redis;
  /**
   * A `redis://` URL or ioredis options of the client the store creates and closes itself when
   * `client` is not given. Defaults: `connectTimeout` 5000, `maxRetriesPerRequest` 2.
   */
  connection?: string | RedisOptions;
  /** Prefix of the per-group hash key `${keyPrefix}{${groupId}}`. Default `kafka-consumer:offsets:`. */
  keyPrefix?: string;
  /** How long `connect()` waits for the first reply, in ms. Default 5000. */
  connectTimeoutMs?: number;
}

const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: REDIS_OFFSET_STORE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = offsetStoreModuleDefinition<RedisOffsetStoreOptions>('RedisOffsetStore');

export { REDIS_OFFSET_STORE_OPTIONS };

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
export class RedisOffsetStore extends OffsetStore {
  /** Provides the store (globally by default) with static options. */
  static forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    return RedisOffsetStoreModule.forRoot(options);
  }

  /** Provides the store with options from a factory: `{ useFactory, inject, imports }`. */
  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return RedisOffsetStoreModule.forRootAsync(options);
  }

  private readonly logger = new Logger('RedisOffsetStore');
  private readonly keyPrefix: string;
  private redis: ScriptedRedis | null = null;
  private connecting: Promise<void> | null = null;

  constructor(@Optional() @Inject(REDIS_OFFSET_STORE_OPTIONS) private readonly options?: RedisOffsetStoreOptions) {
    super();
    if (!options) throw new InvalidOptionsError(offsetStoreNotConfigured('RedisOffsetStore'));
    this.keyPrefix = options.keyPrefix ?? 'kafka-consumer:offsets:';
  }

  /** Key of a group's hash (hash-tagged by group, so a cluster keeps it on one slot). */
  keyOf(groupId: string): string {
    return `${this.keyPrefix}{${groupId}}`;
  }

  override connect(): Promise<void> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  override async disconnect(): Promise<void> {
    const redis = this.redis;
    this.redis = null;
    this.connecting = null;
    if (redis && !this.options?.client) await redis.quit().catch(() => redis.disconnect());
  }

  async load(scope: OffsetStoreScope, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]> {
    if (partitions.length === 0) return [];
    const reply = await this.requireRedis().kafkaConsumerLoadOffsets(
      this.keyOf(scope.groupId),
      ...partitions.map(({ topic, partition }) => `${topic}:${partition}`),
    );
    return partitions.map(({ topic, partition }, i) => {
      const offset = String(reply[i * 2 + 1]);
      return { topic, partition, epoch: Number(reply[i * 2]), offset: offset === '' ? undefined : offset };
    });
  }

  async save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const stale = await this.requireRedis().kafkaConsumerSaveOffsets(
      this.keyOf(scope.groupId),
      ...offsets.flatMap(({ topic, partition, offset, epoch }) => [
        `${topic}:${partition}`,
        offset,
        epoch === undefined ? '' : String(epoch),
      ]),
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

  private async open(): Promise<void> {
    const { Redis } = await importOptional(() => import('ioredis'), 'ioredis', 'RedisOffsetStore');
    const own = !this.options?.client;
    const connection = this.options?.connection;
    const defaults: RedisOptions = { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 2 };
    const redis = (this.options?.client ??
      (typeof connection === 'string'
        ? new Redis(connection, defaults)
        : new Redis({ ...defaults, ...connection }))) as ScriptedRedis;
    // ioredis reconnects by itself; without a listener an 'error' event would crash the process.
    if (own) redis.on('error', (error) => this.logger.debug?.(`connection error: ${describeError(error)}`));
    const timeoutMs = this.options?.connectTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    try {
      if (own) await redis.connect();
      await Promise.race([
        redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      if (own) redis.disconnect();
      throw new OffsetStoreUnavailableError(
        offsetStoreUnreachable('RedisOffsetStore', describeTarget(connection), error),
        {
          cause: error,
        },
      );
    } finally {
      clearTimeout(timer);
    }
    redis.defineCommand('kafkaConsumerLoadOffsets', { numberOfKeys: 1, lua: LOAD_SCRIPT });
    redis.defineCommand('kafkaConsumerSaveOffsets', { numberOfKeys: 1, lua: SAVE_SCRIPT });
    this.redis = redis;
  }

  private requireRedis(): ScriptedRedis {
    if (!this.redis) throw new OffsetStoreUnavailableError(offsetStoreNotConnected('RedisOffsetStore'));
    return this.redis;
  }
}

function describeTarget(connection: string | RedisOptions | undefined): string {
  if (connection === undefined) return 'Redis (client given in options, or 127.0.0.1:6379)';
  if (typeof connection === 'string') return `Redis at ${connection.replace(/\/\/[^@/]*@/, '//')}`;
  return `Redis at ${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
}

@Module({ providers: [RedisOffsetStore], exports: [RedisOffsetStore] })
class RedisOffsetStoreModule extends ConfigurableModuleClass {}
