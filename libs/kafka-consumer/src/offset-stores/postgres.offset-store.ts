import { Inject, Injectable, Logger, Module, Optional, type DynamicModule } from '@nestjs/common';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { OffsetStoreUnavailableError } from '../errors/offset-store-unavailable.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import {
  describeError,
  invalidOption,
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

/** Options of `PostgresOffsetStore.forRoot()` / `forRootAsync()`. */
export interface PostgresOffsetStoreOptions {
  /** A `pg` Pool you own: used as is and never ended by the store. */
  pool?: Pool;
  /**
   * `pg` PoolConfig (e.g. `{ connectionString }`) of the pool the store creates and ends itself
   * when `pool` is not given. Defaults: `connectionTimeoutMillis` 5000 and
   * `idle_in_transaction_session_timeout` 30000: a member frozen inside a `transaction()` holds
   * its partition's row lock, and the new owner waits at most that long for the server to end it.
   * Set the same on a `pool` you pass in.
   */
  connection?: PoolConfig;
  /** Table holding the offsets, optionally schema-qualified; created when missing. Default `kafka_consumer_offsets`. */
  table?: string;
}

/** The record a `transaction()` belongs to: a `KafkaConsumerContext` fits. */
export interface TransactionRecord {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

const DEFAULT_TABLE = 'kafka_consumer_offsets';
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;
/** CREATE TABLE IF NOT EXISTS racing another process: the table exists, which is all we need. */
const ALREADY_EXISTS = new Set(['42P07', '23505']);

const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: POSTGRES_OFFSET_STORE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = offsetStoreModuleDefinition<PostgresOffsetStoreOptions>('PostgresOffsetStore');

export { POSTGRES_OFFSET_STORE_OPTIONS };

/**
 * Offsets in a PostgreSQL table, one row per (group, topic, partition) with the next offset and
 * a fencing epoch. `load` claims a partition by incrementing its epoch; `save` is a compare-and-set
 * on that epoch (a member that lost the partition gets `StaleOffsetWriteError`) and never moves
 * an offset backwards. `transaction()` gives exactly-once effects.
 *
 * ```ts
 * imports: [
 *   PostgresOffsetStore.forRoot({ connection: { connectionString: 'postgres://app@db/app' } }),
 *   KafkaConsumerModule.forRoot({ client, offsetStore: PostgresOffsetStore }),
 * ]
 * ```
 * Needs the optional peer dependency `pg`.
 */
@Injectable()
export class PostgresOffsetStore extends OffsetStore {
  /** Provides the store (globally by default) with static options. */
  static forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    return PostgresOffsetStoreModule.forRoot(options);
  }

  /** Provides the store with options from a factory: `{ useFactory, inject, imports }`. */
  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return PostgresOffsetStoreModule.forRootAsync(options);
  }

  private readonly logger = new Logger('PostgresOffsetStore');
  private readonly table: string;
  private pool: Pool | null = null;
  private connecting: Promise<void> | null = null;
  /** Epoch of this member's latest claim of each partition, for `transaction()`. */
  private readonly claims = new Map<string, number>();

  constructor(
    @Optional() @Inject(POSTGRES_OFFSET_STORE_OPTIONS) private readonly options?: PostgresOffsetStoreOptions,
  ) {
    super();
    if (!options) throw new InvalidOptionsError(offsetStoreNotConfigured('PostgresOffsetStore'));
    const table = options.table ?? DEFAULT_TABLE;
    if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
      throw new InvalidOptionsError(
        invalidOption('PostgresOffsetStore table', table, 'an identifier or schema.identifier'),
      );
    }
    this.table = table
      .split('.')
      .map((part) => `"${part}"`)
      .join('.');
  }

  override connect(): Promise<void> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  override async disconnect(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.connecting = null;
    if (pool && !this.options?.pool) await pool.end();
  }

  async load(scope: OffsetStoreScope, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]> {
    if (partitions.length === 0) return [];
    const { rows } = await this.requirePool().query<{
      topic: string;
      partition: number;
      next_offset: string | null;
      epoch: string;
    }>(
      `INSERT INTO ${this.table} AS o (group_id, topic, partition, epoch)
       SELECT $1, p.topic, p.partition, 1 FROM unnest($2::text[], $3::int[]) AS p(topic, partition)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET epoch = o.epoch + 1, updated_at = now()
       RETURNING o.topic, o.partition, o.next_offset, o.epoch`,
      [scope.groupId, partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
    );
    return rows.map((row) => {
      const epoch = Number(row.epoch);
      this.claims.set(claimKey(scope.groupId, row.topic, row.partition), epoch);
      return { topic: row.topic, partition: row.partition, offset: row.next_offset ?? undefined, epoch };
    });
  }

  async save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.inTransaction(async (client) => {
      const { rows } = await client.query<{ topic: string; partition: number }>(
        `UPDATE ${this.table} AS o SET next_offset = GREATEST(o.next_offset, v.next_offset), updated_at = now()
         FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS v(topic, partition, next_offset, epoch)
         WHERE o.group_id = $1 AND o.topic = v.topic AND o.partition = v.partition AND o.epoch = v.epoch
         RETURNING o.topic, o.partition`,
        [
          scope.groupId,
          offsets.map((o) => o.topic),
          offsets.map((o) => o.partition),
          offsets.map((o) => o.offset),
          offsets.map((o) => o.epoch ?? null),
        ],
      );
      if (rows.length === offsets.length) return;
      const saved = new Set(rows.map((row) => `${row.topic}:${row.partition}`));
      // All or nothing: the rollback keeps this call atomic; the server saves the others again.
      throw new StaleOffsetWriteError(
        scope.groupId,
        offsets
          .filter((o) => !saved.has(`${o.topic}:${o.partition}`))
          .map(({ topic, partition }) => ({ topic, partition })),
      );
    });
  }

  /**
   * Runs `fn` and the write of `record.offset + 1` in one PostgreSQL transaction, so the handler's
   * own SQL (through the `client` it receives) takes effect exactly once: either both commit or
   * neither does. Inside, the partition's row is locked and checked:
   * - claimed by another member since this one loaded it: rejects with `StaleOffsetWriteError`,
   *   nothing is written;
   * - the stored offset is already past the record (its effect was committed before): resolves
   *   `undefined` without calling `fn`.
   * The batched save that follows never moves the offset back (it keeps the greater one).
   *
   * ```ts
   * await this.store.transaction(ctx, (client) => client.query('INSERT INTO payments ...', [...]));
   * ```
   */
  async transaction<T>(record: TransactionRecord, fn: (client: PoolClient) => Promise<T>): Promise<T | undefined> {
    const { groupId, topic, partition } = record;
    const epoch = this.claims.get(claimKey(groupId, topic, partition));
    const next = (BigInt(record.offset) + 1n).toString();
    let skipped = false;
    const result = await this.inTransaction(async (client) => {
      // One statement locks the row, checks the claim and writes the offset; the rest of the
      // transaction (the handler's SQL) commits with it or not at all.
      const claimed = await client.query(
        `UPDATE ${this.table} SET next_offset = $5, updated_at = now()
         WHERE group_id = $1 AND topic = $2 AND partition = $3 AND epoch = $4
           AND (next_offset IS NULL OR next_offset < $5)`,
        [groupId, topic, partition, epoch ?? null, next],
      );
      if (claimed.rowCount === 0) {
        const { rows } = await client.query<{ next_offset: string | null; epoch: string }>(
          `SELECT next_offset, epoch FROM ${this.table} WHERE group_id = $1 AND topic = $2 AND partition = $3`,
          [groupId, topic, partition],
        );
        const row = rows[0];
        if (!row || epoch === undefined || Number(row.epoch) !== epoch) {
          throw new StaleOffsetWriteError(groupId, [{ topic, partition }]);
        }
        skipped = true; // the stored offset is already past this record: its effect is committed
        return undefined;
      }
      return fn(client);
    });
    return skipped ? undefined : result;
  }

  private async open(): Promise<void> {
    const pg = await importOptional(() => import('pg'), 'pg', 'PostgresOffsetStore');
    const own = !this.options?.pool;
    const pool =
      this.options?.pool ??
      new pg.Pool({
        connectionTimeoutMillis: 5000,
        idle_in_transaction_session_timeout: 30_000,
        ...this.options?.connection,
      });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    if (own) pool.on('error', (error) => this.logger.warn(`idle connection error: ${describeError(error)}`));
    try {
      await pool.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
           group_id text NOT NULL,
           topic text NOT NULL,
           partition integer NOT NULL,
           next_offset bigint,
           epoch bigint NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (group_id, topic, partition)
         )`,
      );
    } catch (error) {
      if (!ALREADY_EXISTS.has((error as { code?: string }).code ?? '')) {
        if (own) await pool.end().catch(() => undefined);
        throw new OffsetStoreUnavailableError(
          offsetStoreUnreachable('PostgresOffsetStore', describeTarget(this.options?.connection), error),
          { cause: error },
        );
      }
    }
    this.pool = pool;
  }

  private requirePool(): Pool {
    if (!this.pool) throw new OffsetStoreUnavailableError(offsetStoreNotConnected('PostgresOffsetStore'));
    return this.pool;
  }

  private async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.requirePool().connect();
    let broken = false;
    // A checked-out client emits 'error' when its connection drops between queries; the pending
    // or next query rejects anyway, so the event only needs a listener (else it crashes the process).
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

function claimKey(groupId: string, topic: string, partition: number): string {
  return `${groupId}\u0000${topic}\u0000${partition}`;
}

function describeTarget(connection: PoolConfig | undefined): string {
  if (!connection) return 'PostgreSQL (pool given in options)';
  if (connection.connectionString) return `PostgreSQL at ${connection.connectionString.replace(/\/\/[^@/]*@/, '//')}`;
  return `PostgreSQL at ${connection.host ?? 'localhost'}:${connection.port ?? 5432}`;
}

@Module({ providers: [PostgresOffsetStore], exports: [PostgresOffsetStore] })
class PostgresOffsetStoreModule extends ConfigurableModuleClass {}
