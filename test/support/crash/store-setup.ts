/**
 * `setupModule` of the child consumer worker (../child-app/consumer-worker.ts) for the crash and
 * zombie suites: configures the offset store named by CRASH_STORE and, for PostgreSQL, records
 * each record's effect (an INSERT of its id) through `PostgresOffsetStore.transaction()`.
 *
 *   CRASH_STORE          kafka | postgres | redis | file
 *   CRASH_STORE_OPTIONS  JSON: { table, idleInTransactionMs? } | { keyPrefix } | { path }, and
 *                        optionally driverTimeoutMs (postgres, redis): pg's connectionTimeoutMillis
 *                        and query_timeout, ioredis' connectTimeout and commandTimeout, instead of
 *                        the stores' defaults
 *   CRASH_EFFECTS_TABLE  postgres: table (id text) receiving one row per applied effect
 *   POSTGRES_URL, REDIS_URL
 */
import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type ModuleMetadata,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import {
  FileOffsetStore,
  KafkaConsumerContext,
  PostgresOffsetStore,
  RedisOffsetStore,
  type KafkaConsumerModuleOptions,
} from 'nestjs-kafka-consumer';
import { from, lastValueFrom, type Observable } from 'rxjs';

const env = process.env;
const kind = env.CRASH_STORE ?? 'kafka';
const storeOptions = JSON.parse(env.CRASH_STORE_OPTIONS ?? '{}') as Record<string, string>;
const effectsTable = env.CRASH_EFFECTS_TABLE;
const driverTimeoutMs = storeOptions.driverTimeoutMs ? Number(storeOptions.driverTimeoutMs) : undefined;
const redisUrl = new URL(env.REDIS_URL ?? 'redis://127.0.0.1:6379');

/** Applies the record's effect and its offset in one transaction: exactly once. */
@Injectable()
class ExactlyOnceEffect implements NestInterceptor {
  constructor(private readonly store: PostgresOffsetStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<unknown>();
    const payload = context.switchToRpc().getData<{ id?: string } | null>();
    if (!(ctx instanceof KafkaConsumerContext)) return next.handle();
    return from(
      this.store.transaction(ctx, async (client) => {
        await client.query(`INSERT INTO ${effectsTable} (id) VALUES ($1)`, [String(payload?.id)]);
        return lastValueFrom(next.handle(), { defaultValue: undefined });
      }),
    );
  }
}

export const imports: ModuleMetadata['imports'] =
  kind === 'postgres'
    ? [
        PostgresOffsetStore.forRoot({
          connection: {
            connectionString: env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
            ...(storeOptions.idleInTransactionMs
              ? { idle_in_transaction_session_timeout: Number(storeOptions.idleInTransactionMs) }
              : {}),
            ...(driverTimeoutMs ? { connectionTimeoutMillis: driverTimeoutMs, query_timeout: driverTimeoutMs } : {}),
          },
          table: storeOptions.table,
        }),
      ]
    : kind === 'redis'
      ? [
          RedisOffsetStore.forRoot({
            connection: driverTimeoutMs
              ? {
                  host: redisUrl.hostname,
                  port: Number(redisUrl.port || 6379),
                  connectTimeout: driverTimeoutMs,
                  commandTimeout: driverTimeoutMs,
                }
              : (env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
            keyPrefix: storeOptions.keyPrefix,
          }),
        ]
      : kind === 'file'
        ? [FileOffsetStore.forRoot({ path: storeOptions.path })]
        : [];

export const providers: ModuleMetadata['providers'] =
  kind === 'postgres' && effectsTable ? [{ provide: APP_INTERCEPTOR, useClass: ExactlyOnceEffect }] : [];

const storeClasses = { postgres: PostgresOffsetStore, redis: RedisOffsetStore, file: FileOffsetStore } as const;

export const moduleOptions: Partial<KafkaConsumerModuleOptions> =
  kind in storeClasses ? { offsetStore: storeClasses[kind as keyof typeof storeClasses] } : {};
