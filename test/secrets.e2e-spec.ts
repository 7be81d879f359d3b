import { Controller, Module, type DynamicModule, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AsyncMicroserviceOptions } from '@nestjs/microservices';
import {
  ConsumeTopic,
  InvalidOptionsError,
  KafkaConsumerModule,
  KafkaConsumerServer,
  OffsetStoreUnavailableError,
  PostgresOffsetStore,
  RedisOffsetStore,
  type KafkaConsumerModuleOptions,
} from 'nestjs-kafka-consumer';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { brokers, KafkaTestKit, unique } from './support/kafka.js';

// Every secret is distinct, so a failure names the configuration that leaked it.
const SECRET = {
  pgSlash: 'pgSl/ash7Qw',
  pgAt: 'pgA@t9Rt',
  pgQuery: 'pgQuery4Zx',
  pgField: 'pgField8Yu',
  pgInstance: 'pgInstance3Kp',
  redisSlash: 'rdSl/ash5Mn',
  redisAt: 'rdA@t2Vb',
  redisField: 'rdField6Cx',
  redisReachable: 'rdReach1Lo',
  sasl: 'saslPass0Ws',
  rootSasl: 'rootSasl5Ee',
  token: 'tokenVal9Ii',
} as const;
/** Unmistakable fragments of each secret (the part after `/` or `@` is what a naive redaction leaves). */
const FRAGMENTS = Object.values(SECRET).flatMap((secret) => [
  secret,
  ...secret.split(/[/@]/).filter((s) => s.length >= 3),
]);

const client = (extra: Record<string, unknown> = {}) => ({ clientId: 'secrets', brokers: brokers(), ...extra });

/** Keeps every argument of every log call, however it is logged. */
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (...args: unknown[]) => this.record('log', args);
  error = (...args: unknown[]) => this.record('error', args);
  warn = (...args: unknown[]) => this.record('warn', args);
  debug = (...args: unknown[]) => this.record('debug', args);
  verbose = (...args: unknown[]) => this.record('verbose', args);
  fatal = (...args: unknown[]) => this.record('fatal', args);
  private record(level: string, args: unknown[]) {
    this.lines.push(`[${level}] ${args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' ')}`);
  }
}

/** Everything a user could read about an error: message, stack, and its full inspection (cause chain included). */
const describeFully = (error: unknown): string =>
  error instanceof Error
    ? [String(error), error.stack ?? '', inspect(error, { depth: 10 })].join('\n')
    : inspect(error, { depth: 10 });

describe('no secret reaches an error or a log line', () => {
  const kit = new KafkaTestKit();
  const logger = new RecordingLogger();
  const consoleLines: string[] = [];
  const written: string[] = [];
  const errors: unknown[] = [];
  let restore: Array<() => void> = [];

  beforeAll(() => {
    // The console as Node sees it (ConsoleLogger, drivers' warnings) and as vitest routes it.
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: never[]) => {
        written.push(String(chunk));
        return original(chunk as string, ...rest);
      }) as typeof stream.write;
      restore.push(() => (stream.write = original));
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        consoleLines.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' '));
      });
      restore.push(() => spy.mockRestore());
    }
  });
  afterAll(() => {
    for (const undo of restore) undo();
    restore = [];
  });
  afterEach(() => kit.close());

  /**
   * Boots an app as a user's main.ts does, with the recording logger; returns the bootstrap error
   * (null when it started: it is closed again at once). Every error is kept for the final check.
   */
  async function boot(imports: Array<DynamicModule | Promise<DynamicModule>>, groupOptions = {}): Promise<unknown> {
    const topic = await kit.createTopic(unique('secrets'));
    @Controller()
    class Handler {
      @ConsumeTopic(topic, { groupId: unique('secrets'), ...groupOptions })
      handle() {}
    }
    @Module({ imports, controllers: [Handler] })
    class AppModule {}
    let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>> | undefined;
    try {
      app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(AppModule, {
        inject: [KafkaConsumerServer],
        useFactory: (server: KafkaConsumerServer) => ({ strategy: server }),
        logger,
        abortOnError: false,
      });
      await app.listen();
      return null;
    } catch (error) {
      errors.push(error);
      return error;
    } finally {
      await app?.close().catch((error: unknown) => errors.push(error));
    }
  }

  const consumerModule = (options: Partial<KafkaConsumerModuleOptions>) =>
    KafkaConsumerModule.forRoot({ client: client(), ...options });

  it('PostgreSQL URL whose password contains "/" (unparseable): fails naming the host only', async () => {
    const error = await boot([
      PostgresOffsetStore.forRoot({
        connection: { connectionString: `postgres://postgres:${SECRET.pgSlash}@127.0.0.1:5432/test` },
      }),
      consumerModule({ offsetStore: PostgresOffsetStore }),
    ]);
    expect(error).toBeInstanceOf(OffsetStoreUnavailableError);
    expect((error as Error).message).toContain('postgres://127.0.0.1:5432/test');
  });

  it('unreachable PostgreSQL with ?password= in the URL', async () => {
    const error = await boot([
      PostgresOffsetStore.forRoot({
        connection: { connectionString: `postgres://app@127.0.0.1:1/app?password=${SECRET.pgQuery}` },
      }),
      consumerModule({ offsetStore: PostgresOffsetStore }),
    ]);
    expect(error).toBeInstanceOf(OffsetStoreUnavailableError);
    expect((error as Error).message).toContain('postgres://127.0.0.1:1/app');
  });

  it('unreachable PostgreSQL with "@" in the password and a password field', async () => {
    const at = await boot([
      PostgresOffsetStore.forRoot({
        connection: { connectionString: `postgresql://app:${SECRET.pgAt}@127.0.0.1:1/app?sslmode=disable` },
      }),
      consumerModule({ offsetStore: PostgresOffsetStore }),
    ]);
    expect(at).toBeInstanceOf(OffsetStoreUnavailableError);
    const field = await boot([
      PostgresOffsetStore.forRoot({
        connection: { host: '127.0.0.1', port: 1, user: 'app', password: SECRET.pgField, database: 'app' },
      }),
      consumerModule({ offsetStore: PostgresOffsetStore }),
    ]);
    expect(field).toBeInstanceOf(OffsetStoreUnavailableError);
  });

  it('reachable PostgreSQL with ?password= (trust auth) starts and logs without it', async () => {
    const table = unique('kc_secrets').replace(/-/g, '_');
    expect(
      await boot([
        PostgresOffsetStore.forRoot({
          connection: { connectionString: `postgres://postgres@127.0.0.1:5432/test?password=${SECRET.pgQuery}` },
          table,
        }),
        consumerModule({ offsetStore: PostgresOffsetStore }),
      ]),
    ).toBeNull();
    expect(logger.lines.some((line) => line.includes('consuming'))).toBe(true);
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: 1 });
    await pool.query(`DROP TABLE IF EXISTS ${table}`).finally(() => pool.end());
  });

  it('unreachable Redis: rediss:// with "/" in the password, redis:// with "@", a password field', async () => {
    for (const connection of [
      `rediss://:${SECRET.redisSlash}@127.0.0.1:1`,
      `redis://default:${SECRET.redisAt}@127.0.0.1:1/2`,
      { host: '127.0.0.1', port: 1, password: SECRET.redisField, lazyConnect: true },
    ]) {
      const error = await boot([
        RedisOffsetStore.forRoot({ connection, connectTimeoutMs: 1000 }),
        consumerModule({ offsetStore: RedisOffsetStore }),
      ]);
      expect(error).toBeInstanceOf(OffsetStoreUnavailableError);
      expect((error as Error).message).toMatch(/Redis at (rediss?:\/\/)?127\.0\.0\.1:1/);
    }
  });

  it('reachable Redis with a password in the URL starts and logs without it', async () => {
    const keyPrefix = `${unique('secrets')}:`;
    expect(
      await boot([
        RedisOffsetStore.forRoot({ connection: `redis://:${SECRET.redisReachable}@127.0.0.1:6379`, keyPrefix }),
        consumerModule({ offsetStore: RedisOffsetStore }),
      ]),
    ).toBeNull();
  });

  it('a store instance instead of its class, at module and at handler level', async () => {
    const instance = new PostgresOffsetStore({
      connection: { connectionString: `postgres://app:${SECRET.pgInstance}@db.internal:5432/app` },
    });
    const atModule = await boot([consumerModule({ offsetStore: instance as never })]);
    expect(atModule).toBeInstanceOf(InvalidOptionsError);
    expect((atModule as Error).message).toContain('"offsetStore" is <PostgresOffsetStore instance>');
    const atHandler = await boot([consumerModule({})], { offsetStore: instance });
    expect(atHandler).toBeInstanceOf(InvalidOptionsError);
    expect((atHandler as Error).message).toContain('<PostgresOffsetStore instance>');
  });

  it('forRootAsync returning a non-object: the (root) error does not print the config', async () => {
    const config = {
      client: client({ sasl: { mechanism: 'plain', username: 'app', password: SECRET.rootSasl } }),
      consumer: { groupId: 'secrets' },
    };
    const error = await boot([
      KafkaConsumerModule.forRootAsync({ useFactory: () => [config] as unknown as KafkaConsumerModuleOptions }),
    ]);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toContain('"(root)" is <array of 1 item>');
  });

  it('SASL credentials against the plain broker', async () => {
    const error = await boot([
      KafkaConsumerModule.forRoot({
        client: client({
          sasl: { mechanism: 'plain', username: 'app', password: SECRET.sasl },
          retry: { retries: 0 },
          connectionTimeout: 2000,
          authenticationTimeout: 2000,
        }),
      }),
    ]);
    // The broker's plaintext listener refuses the SASL handshake: the group cannot join.
    expect(describeFully(error)).toContain('SASL');
  });

  it('a token in a misspelled option: the unknown-option error names the key, not the value', async () => {
    const error = await boot([
      KafkaConsumerModule.forRoot({
        client: client(),
        ...({ sasltoken: SECRET.token } as object),
      } as KafkaConsumerModuleOptions),
    ]);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toContain('unknown option "sasltoken"');
  });

  it('none of the secrets appears in any error, Nest log line or console output', () => {
    const everything = [...errors.map(describeFully), ...logger.lines, ...consoleLines, ...written];
    expect(errors.length).toBeGreaterThanOrEqual(10);
    const leaks = everything.flatMap((text) =>
      FRAGMENTS.filter((fragment) => text.includes(fragment)).map(
        (fragment) => `${fragment} in: ${text.slice(0, 400)}`,
      ),
    );
    expect(leaks).toEqual([]);
  });
});
