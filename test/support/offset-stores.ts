import type { DynamicModule, Type } from '@nestjs/common';
import { Redis } from 'ioredis';
import { FileOffsetStore, OffsetStore, PostgresOffsetStore, RedisOffsetStore } from 'nestjs-kafka-consumer';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { unique } from './kafka.js';

/** PostgreSQL and Redis under test (the development machine's, as DESIGN.md says). */
export const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type StoreKind = 'postgres' | 'redis' | 'file';

/**
 * One external offset store for one test: its own table / key prefix / file, a `module()` to
 * import next to `KafkaConsumerModule`, and raw access to what is stored (not through the store,
 * so reading claims nothing). `cleanup()` drops what the test created.
 */
export interface StoreFixture {
  readonly kind: StoreKind;
  readonly storeClass: Type<OffsetStore>;
  /** The store's `forRoot(...)` module; `overrides` go into its options (e.g. another port). */
  module(overrides?: Record<string, unknown>): DynamicModule;
  /** Stored next offset per partition (partitions without one are absent). */
  read(groupId: string, topic: string): Promise<Record<number, string>>;
  /** Overwrites a stored next offset, keeping the partition's epoch. */
  write(groupId: string, topic: string, partition: number, offset: string): Promise<void>;
  /** Where the store lives, for child processes: `{ table }`, `{ keyPrefix }` or `{ path }`. */
  readonly options: Record<string, string>;
  cleanup(): Promise<void>;
}

export function storeFixture(kind: StoreKind): StoreFixture {
  if (kind === 'postgres') return postgresFixture();
  if (kind === 'redis') return redisFixture();
  return fileFixture();
}

function postgresFixture(): StoreFixture {
  const table = unique('kc_offsets').replace(/-/g, '_');
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  return {
    kind: 'postgres',
    storeClass: PostgresOffsetStore,
    options: { table },
    module: (overrides = {}) =>
      PostgresOffsetStore.forRoot({ connection: { connectionString: POSTGRES_URL }, table, ...overrides }),
    async read(groupId, topic) {
      const exists = await pool.query('SELECT to_regclass($1) AS t', [table]);
      if (!exists.rows[0].t) return {};
      const { rows } = await pool.query<{ partition: number; next_offset: string | null }>(
        `SELECT partition, next_offset FROM ${table} WHERE group_id = $1 AND topic = $2 AND next_offset IS NOT NULL`,
        [groupId, topic],
      );
      return Object.fromEntries(rows.map((r) => [r.partition, r.next_offset!]));
    },
    async write(groupId, topic, partition, offset) {
      await pool.query(`UPDATE ${table} SET next_offset = $4 WHERE group_id = $1 AND topic = $2 AND partition = $3`, [
        groupId,
        topic,
        partition,
        offset,
      ]);
    },
    async cleanup() {
      await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await pool.end();
    },
  };
}

function redisFixture(): StoreFixture {
  const keyPrefix = `${unique('test-offsets')}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  return {
    kind: 'redis',
    storeClass: RedisOffsetStore,
    options: { keyPrefix },
    module: (overrides = {}) => RedisOffsetStore.forRoot({ connection: REDIS_URL, keyPrefix, ...overrides }),
    async read(groupId, topic) {
      const hash = await redis.hgetall(`${keyPrefix}{${groupId}}`);
      const result: Record<number, string> = {};
      for (const [field, value] of Object.entries(hash)) {
        if (field.startsWith(`o:${topic}:`)) result[Number(field.slice(`o:${topic}:`.length))] = value;
      }
      return result;
    },
    async write(groupId, topic, partition, offset) {
      await redis.hset(`${keyPrefix}{${groupId}}`, `o:${topic}:${partition}`, offset);
    },
    async cleanup() {
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}

function fileFixture(): StoreFixture {
  const directory = mkdtempSync(join(tmpdir(), 'kc-offsets-'));
  const path = join(directory, 'offsets.json');
  type Content = { version: 1; groups: Record<string, Record<string, { offset: string | null; epoch: number }>> };
  const load = (): Content => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Content;
    } catch {
      return { version: 1, groups: {} };
    }
  };
  return {
    kind: 'file',
    storeClass: FileOffsetStore,
    options: { path },
    module: (overrides = {}) => FileOffsetStore.forRoot({ path, ...overrides }),
    async read(groupId, topic) {
      const result: Record<number, string> = {};
      for (const [field, entry] of Object.entries(load().groups[groupId] ?? {})) {
        if (field.startsWith(`${topic}:`) && entry.offset !== null) {
          result[Number(field.slice(topic.length + 1))] = entry.offset;
        }
      }
      return result;
    },
    async write(groupId, topic, partition, offset) {
      const state = load();
      state.groups[groupId][`${topic}:${partition}`].offset = offset;
      writeFileSync(path, JSON.stringify(state));
    },
    async cleanup() {
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
