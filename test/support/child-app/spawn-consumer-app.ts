/**
 * Runs a Nest consumer app as a separate OS process, for tests that kill, crash or restart members.
 *
 *   const app = await spawnConsumerApp({ topic, groupId, sessionTimeoutMs: 6000 });
 *   app.pid; app.events; app.processed(); app.assignment();  // reports, see ./protocol.ts
 *   await app.waitForEvent('first record', (e) => e.type === 'processed');
 *   app.kill('SIGKILL'); await app.waitForExit();            // -> { code, signal }
 *   await app.stats();                                        // -> { rss, heapUsed, resources }
 *   afterEach(() => stopAllConsumerApps());                   // SIGKILLs whatever still runs
 *
 * The child is ./consumer-worker.ts (its header lists what it is configured with), started as
 * `node --import ./register.mjs consumer-worker.ts`: TypeScript is transpiled on the fly and
 * `nestjs-kafka-consumer` resolves to libs/kafka-consumer/src, so no build step is needed.
 * `offsetStore`, `moduleOptions`, `setupModule` and `env` pass anything else to the child.
 * `kind: 'polling'` runs ./polling-worker.ts instead: a `PollingConsumer` loop reporting the same events.
 * Records produced for the worker are JSON `WorkerPayload`s: `{ id, delayMs?, killSelf? }`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { KafkaConsumerModuleOptions, TopicPartition } from 'nestjs-kafka-consumer';
import { brokers as defaultBrokers } from '../kafka.js';
import type { ProcessedEvent, StatsEvent, WorkerEvent, WorkerRequest } from './protocol.js';

export type {
  AssignedEvent,
  ProcessedEvent,
  ReadyEvent,
  StartedEvent,
  StatsEvent,
  WorkerEvent,
  WorkerPayload,
} from './protocol.js';

export interface ConsumerAppOptions {
  /**
   * `'handler'` (default): ./consumer-worker.ts, one `@ConsumeTopic` handler. `'polling'`:
   * ./polling-worker.ts, a `PollingConsumer` that polls, reports and commits in a loop (it takes
   * no `offsetStore`, `setupModule`, `commitIntervalMs` or `shutdownTimeoutMs`).
   */
  kind?: 'handler' | 'polling';
  topic: string | string[];
  groupId: string;
  /** Shown in error messages. Default `worker`. */
  name?: string;
  brokers?: string[];
  /** How long the handler takes per record (a payload's `delayMs` wins). Default 0. */
  handlerDelayMs?: number;
  /** Default true. */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  commitIntervalMs?: number;
  shutdownTimeoutMs?: number;
  /** Name of an offset store class exported by `nestjs-kafka-consumer`, e.g. `'FileOffsetStore'`. */
  offsetStore?: string;
  /** JSON-serializable options merged into `KafkaConsumerModule.forRoot()`. */
  moduleOptions?: Partial<KafkaConsumerModuleOptions>;
  /** Absolute path of a module exporting `imports` / `providers` / `moduleOptions` for the app. */
  setupModule?: string;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** Resolve only after the app listens (its `ready` report). Default true. */
  waitUntilReady?: boolean;
  readyTimeoutMs?: number;
  /** Run the child with `--expose-gc`, so `stats()` reports memory after a full collection. Default false. */
  exposeGc?: boolean;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildConsumerApp {
  readonly name: string;
  readonly pid: number;
  /** Every report received so far, in order. */
  readonly events: readonly WorkerEvent[];
  /** Set once the process has exited. */
  readonly exit: ChildExit | null;
  /** `processed` reports so far. */
  processed(): ProcessedEvent[];
  /** The latest reported assignment (empty before `ready`). */
  assignment(): TopicPartition[];
  /** Resolves with the first report (past or future) matching `predicate`; rejects on timeout or exit. */
  waitForEvent<E extends WorkerEvent>(
    what: string,
    predicate: (event: WorkerEvent) => event is E,
    timeoutMs?: number,
  ): Promise<E>;
  waitForEvent(what: string, predicate: (event: WorkerEvent) => boolean, timeoutMs?: number): Promise<WorkerEvent>;
  /** Sends a signal (default SIGKILL); a no-op once exited. */
  kill(signal?: NodeJS.Signals): void;
  waitForExit(timeoutMs?: number): Promise<ChildExit>;
  /** SIGKILLs the process if it still runs and waits for it to exit. */
  stop(): Promise<void>;
  /** Asks the child for its memory and active resources; resolves with its answer (`kind: 'handler'` only). */
  stats(timeoutMs?: number): Promise<StatsEvent>;
  /** The child's stdout and stderr so far (last `maxChars`). */
  output(maxChars?: number): string;
}

const workerFiles = {
  handler: fileURLToPath(new URL('./consumer-worker.ts', import.meta.url)),
  polling: fileURLToPath(new URL('./polling-worker.ts', import.meta.url)),
};
const registerUrl = new URL('./register.mjs', import.meta.url).href;
const running = new Set<ChildConsumerApp>();

/** Starts ./consumer-worker.ts in its own process; by default resolves once it listens. */
export async function spawnConsumerApp(options: ConsumerAppOptions): Promise<ChildConsumerApp> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    KAFKA_BROKERS: (options.brokers ?? defaultBrokers()).join(','),
    WORKER_TOPIC: ([] as string[]).concat(options.topic).join(','),
    WORKER_GROUP: options.groupId,
    WORKER_FROM_BEGINNING: String(options.fromBeginning ?? true),
    ...numberEnv('WORKER_HANDLER_DELAY_MS', options.handlerDelayMs),
    ...numberEnv('WORKER_SESSION_TIMEOUT_MS', options.sessionTimeoutMs),
    ...numberEnv('WORKER_HEARTBEAT_INTERVAL_MS', options.heartbeatIntervalMs),
    ...numberEnv('WORKER_COMMIT_INTERVAL_MS', options.commitIntervalMs),
    ...numberEnv('WORKER_SHUTDOWN_TIMEOUT_MS', options.shutdownTimeoutMs),
    ...(options.offsetStore ? { WORKER_OFFSET_STORE: options.offsetStore } : {}),
    ...(options.moduleOptions ? { WORKER_MODULE_OPTIONS: JSON.stringify(options.moduleOptions) } : {}),
    ...(options.setupModule ? { WORKER_SETUP: options.setupModule } : {}),
    ...options.env,
  };
  const workerFile = workerFiles[options.kind ?? 'handler'];
  const nodeFlags = ['--enable-source-maps', ...(options.exposeGc ? ['--expose-gc'] : [])];
  const child = spawn(process.execPath, [...nodeFlags, '--import', registerUrl, workerFile], {
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const app = wrap(options.name ?? 'worker', child);
  running.add(app);
  if (options.waitUntilReady ?? true) {
    try {
      await app.waitForEvent('the app to listen', (e) => e.type === 'ready', options.readyTimeoutMs ?? 60_000);
    } catch (error) {
      await app.stop();
      throw error;
    }
  }
  return app;
}

/** SIGKILLs every child this helper started that still runs; call it in afterEach. */
export async function stopAllConsumerApps(): Promise<void> {
  await Promise.all([...running].map((app) => app.stop()));
}

function numberEnv(name: string, value: number | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: String(value) };
}

function wrap(name: string, child: ChildProcess): ChildConsumerApp {
  if (child.pid === undefined) throw new Error(`${name}: could not start a child process`);
  const pid = child.pid;
  const events: WorkerEvent[] = [];
  const signals = new EventEmitter();
  signals.setMaxListeners(0);
  let output = '';
  let exit: ChildExit | null = null;
  // Settled once the process exited and its IPC channel is drained, so `events` is then final.
  const exited = Promise.all([
    new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    new Promise<void>((resolve) => (child.connected ? child.once('disconnect', () => resolve()) : resolve())),
  ]).then(([result]) => {
    exit = result;
    running.delete(app);
    signals.emit('exit');
    return result;
  });
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
    if (process.env.TEST_LOGS) process.stderr.write(`[${name} ${pid}] ${chunk.toString('utf8')}`);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  child.on('message', (message) => {
    events.push(message as WorkerEvent);
    signals.emit('event');
  });

  const describe = () =>
    `${name} (pid ${pid}${exit ? `, exited code=${exit.code} signal=${exit.signal}` : ''}); output:\n${output.slice(-3000)}`;

  const app: ChildConsumerApp = {
    name,
    pid,
    events,
    get exit() {
      return exit;
    },
    processed: () => events.filter((e): e is ProcessedEvent => e.type === 'processed'),
    assignment: () => {
      for (let i = events.length - 1; i >= 0; i--) {
        const event = events[i];
        if (event.type === 'assigned' || event.type === 'ready') return event.assignment;
      }
      return [];
    },
    waitForEvent: ((what: string, predicate: (event: WorkerEvent) => boolean, timeoutMs = 30_000) =>
      new Promise<WorkerEvent>((resolve, reject) => {
        let checked = 0;
        const check = () => {
          for (; checked < events.length; checked++) {
            if (predicate(events[checked])) return done(() => resolve(events[checked]));
          }
          if (exit) done(() => reject(new Error(`${name} exited while waiting for ${what}: ${describe()}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}: ${describe()}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          signals.off('event', check);
          signals.off('exit', check);
          settle();
        };
        signals.on('event', check);
        signals.on('exit', check);
        check();
      })) as ChildConsumerApp['waitForEvent'],
    kill: (signal = 'SIGKILL') => {
      if (!exit) child.kill(signal);
    },
    waitForExit: async (timeoutMs = 30_000) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          exited,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for exit of ${describe()}`)),
              timeoutMs,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    stop: async () => {
      if (!exit) child.kill('SIGKILL');
      await exited;
    },
    stats: (timeoutMs = 30_000) => {
      const from = events.length;
      const answer = app.waitForEvent(
        'a stats report',
        (e): e is StatsEvent => e.type === 'stats' && events.indexOf(e) >= from,
        timeoutMs,
      );
      if (child.connected) child.send({ type: 'stats' } satisfies WorkerRequest);
      return answer;
    },
    output: (maxChars = 20_000) => output.slice(-maxChars),
  };
  return app;
}
