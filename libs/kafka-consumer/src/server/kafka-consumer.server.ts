import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApplicationConfig, ModuleRef, ModulesContainer } from '@nestjs/core';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { Kafka, logLevel } from 'kafkajs';
import { DeadLetterPublisher } from '../dead-letter/dead-letter.publisher.js';
import { planFailureTopics } from '../dead-letter/failure-topology.js';
import { KAFKA_CONSUMER_RESOLVED_OPTIONS, KAFKA_CONSUMER_TRANSPORT } from '../kafka-consumer.constants.js';
import { describeError, storeDisconnectTimedOut } from '../kafka-consumer.messages.js';
import { settlesWithin } from '../util/settles-within.js';
import type { ResolvedModuleOptions } from '../kafka-consumer.options.js';
import { OffsetStore } from '../offset-stores/offset-store.js';
import { OffsetStoreResolver } from '../offset-stores/offset-store.resolver.js';
import { FailureSettlement } from '../retry/failure-settlement.js';
import { RecordInvoker } from './record-invoker.js';
import { handlerDefinition, planGroups, type HandlerDefinition } from './consumer-group.plan.js';
import { ConsumerGroupRunner } from './consumer-group.runner.js';
import { buildGroupHandlers } from './group-handlers.js';
import { nestLogCreator } from './kafkajs-logger.js';
import { checkStartup } from './startup-check.js';
import type {
  KafkaConsumerEventListener,
  KafkaConsumerEventName,
  KafkaConsumerStatus,
} from '../observability/consumer-events.js';
import { ConsumerObservability } from '../observability/consumer-observability.js';
import { RecordTracing } from '../observability/record-tracing.js';

const exitWithFailure = (): never => process.exit(1);

/** Disconnecting the offset stores at shutdown gets at least this long, even past shutdownTimeoutMs. */
const MIN_STORE_DISCONNECT_MS = 1000;

/**
 * The Nest transport strategy: gathers the `@ConsumeTopic` handlers Nest hands to `addHandler`,
 * runs one `ConsumerGroupRunner` (one kafkajs consumer) per consumer group, and leaves every group
 * cleanly on `close()`. A provider: get it with `app.get(KafkaConsumerServer)`.
 */
@Injectable()
export class KafkaConsumerServer
  extends Server<{ [E in KafkaConsumerEventName]: KafkaConsumerEventListener<E> }, KafkaConsumerStatus>
  implements CustomTransportStrategy
{
  override transportId = KAFKA_CONSUMER_TRANSPORT;
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger('KafkaConsumer');

  private readonly definitions: HandlerDefinition<MessageHandler>[] = [];
  private readonly runners = new Map<string, ConsumerGroupRunner>();
  /** Builds a fresh runner of a group: `startGroup` after `stopGroup` joins with a new one. */
  private readonly runnerFactories = new Map<string, () => ConsumerGroupRunner>();
  private kafka: Kafka | null = null;
  /** The `tracing` option is on (loaded at listen). */
  private tracing: RecordTracing | undefined;
  private closing: Promise<void> | null = null;
  /** Aborted by `close()`: a startup still waiting for brokers or topics gives up. */
  private readonly startup = new AbortController();
  /** Events, status, health, metrics and the crash policy of the groups. */
  readonly observability: ConsumerObservability;
  /** Runs each record: directly (the lean path) or through Nest's pipeline. */
  private readonly invoker: RecordInvoker;

  constructor(
    @Inject(KAFKA_CONSUMER_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
    private readonly offsetStores: OffsetStoreResolver,
    private readonly defaultOffsetStore: OffsetStore,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly failures: FailureSettlement,
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
    private readonly appConfig: ApplicationConfig,
  ) {
    super();
    this.observability = new ConsumerObservability(options, {
      logger: this.logger,
      restart: (groupId) => this.runners.get(groupId)?.restart() ?? Promise.resolve(),
      exit: (groupId, error) => this.exitOnCrash(groupId, error),
      // oxlint-disable-next-line no-underscore-dangle -- Nest's Server keeps the status subject there
      status: (status) => this._status$.next(status),
    });
    this.invoker = new RecordInvoker(this, failures, this.logger);
  }

  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    super.addHandler(pattern, callback, isEventHandler, extras);
    this.definitions.push(handlerDefinition(pattern, callback, extras));
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      // close() during startup: what failed was torn down on purpose.
      if (this.closing) return callback();
      await this.stopRunners().catch(() => undefined);
      callback(error);
    }
  }

  /** Leaves every group: stop fetching, finish running handlers, commit, disconnect. Idempotent. */
  async close(): Promise<void> {
    this.startup.abort();
    this.closing ??= this.stopRunners();
    await this.closing;
  }

  /** The kafkajs client and the consumer of each group. */
  unwrap<T>(): T {
    return { kafka: this.kafka, consumers: new Map([...this.runners].map(([id, r]) => [id, r.consumer])) } as T;
  }

  /**
   * Calls `callback` on every `event` of the consumer groups (see `KafkaConsumerEvents`); returns
   * the function that removes it. A callback that throws or rejects is logged, never propagated.
   */
  on<E extends KafkaConsumerEventName>(event: E, callback: KafkaConsumerEventListener<E>): () => void {
    return this.observability.bus.on(event, callback);
  }

  /** Runner of each group, by group id (for the registry and tests). */
  get groups(): ReadonlyMap<string, ConsumerGroupRunner> {
    return this.runners;
  }

  /** The kafkajs client; null before `listen()`. */
  get client(): Kafka | null {
    return this.kafka;
  }

  private async start(): Promise<void> {
    const groups = planGroups(this.definitions, this.options);
    await this.observability.start();
    if (this.options.tracing && !this.tracing) this.tracing = await RecordTracing.load(this.options.tracing);
    const kafka = this.createClient();
    this.kafka = kafka;
    const { client, missingTopics, brokerStartupTimeoutMs } = this.options;
    const consumed = groups.flatMap((group) =>
      [...group.handlers.values()].map(({ topic, name }) => ({ topic, groupId: group.groupId, handler: name })),
    );
    const signal = this.startup.signal;
    await checkStartup(consumed, { client, missingTopics, brokerStartupTimeoutMs, logger: this.logger, signal });
    if (signal.aborted) return;
    // Dead-letter and retry topics are checked (or created) before any group consumes.
    await this.deadLetters.start(
      kafka,
      planFailureTopics(groups.flatMap((group) => [...group.handlers.values()])),
      this.tracing,
    );
    // close() may run at any await below (SIGTERM during a slow startup): what it missed is closed here.
    if (this.closing) return this.deadLetters.close();
    this.invoker.compose(
      groups.flatMap((group) => [...group.handlers.values()]),
      this.modules,
      this.appConfig,
    );
    const runners: ConsumerGroupRunner[] = [];
    for (const group of groups) {
      const offsetStore = group.offsetStore
        ? await this.offsetStores.resolve(group.offsetStore)
        : this.defaultOffsetStore;
      // An unreachable store fails bootstrap here, before any group joins.
      await this.offsetStores.connect(offsetStore);
      if (this.closing) {
        // close() may already have disconnected the stores while this one was still connecting.
        await offsetStore.disconnect().catch(() => undefined);
        return this.disconnectStores();
      }
      const handlers = await buildGroupHandlers(group, {
        kafka,
        moduleRef: this.moduleRef,
        invoker: this.invoker,
        failures: this.failures,
      });
      // Topics paused through the registry: shared by the group's runners, so stop/start keeps them.
      const pausedTopics = new Set<string>();
      const observer = this.observability.monitor(
        group.groupId,
        () => this.runners.get(group.groupId)?.positions() ?? [],
        group.autoStartup,
      );
      const createRunner = () =>
        new ConsumerGroupRunner({
          groupId: group.groupId,
          kafka,
          handlers,
          offsetStore,
          module: this.options,
          logger: this.logger,
          settleFailure: (ctx, error, stage) => this.failures.settle(ctx, error, stage),
          failures: this.failures,
          pausedTopics,
          observer,
          ...(this.tracing && { tracing: this.tracing }),
        });
      this.runnerFactories.set(group.groupId, createRunner);
      const runner = createRunner();
      this.runners.set(group.groupId, runner);
      // autoStartup: false: the group joins only on startGroup().
      if (group.autoStartup) runners.push(runner);
    }
    await Promise.all(runners.map((runner) => runner.start()));
    if (this.closing) {
      // Closing runners wait for their start; runners close() did not see yet are closed here.
      await Promise.allSettled(runners.map((runner) => runner.close()));
      return;
    }
    for (const runner of runners) {
      this.logger.log(`Group "${runner.groupId}" consuming ${runner.topics.map((t) => `"${t}"`).join(', ')}`);
    }
  }

  /**
   * Joins `groupId` (resolves after its first assignment); a stopped group joins with a new
   * consumer. A running group: waits for its start. Used by `KafkaConsumerRegistry.startGroup`.
   */
  async startGroup(groupId: string): Promise<void> {
    const current = this.runners.get(groupId);
    const createRunner = this.runnerFactories.get(groupId);
    if (!current || !createRunner || this.closing) return;
    let runner = current;
    if (current.stopped) {
      await current.close();
      // Another startGroup may have replaced it while this one waited.
      if (this.runners.get(groupId) !== current || this.closing) return this.startGroup(groupId);
      runner = createRunner();
      this.runners.set(groupId, runner);
    }
    const wasRunning = runner.running;
    if (!wasRunning) this.observability.starting(groupId);
    await runner.start();
    if (!wasRunning && !this.closing) this.logger.log(`Group "${groupId}" started by the registry`);
  }

  /** Leaves `groupId` as `close()` leaves every group: stop fetching, finish running handlers, commit, disconnect. */
  async stopGroup(groupId: string): Promise<void> {
    const runner = this.runners.get(groupId);
    if (!runner || runner.stopped) return runner?.close();
    await runner.close();
    this.logger.log(`Group "${groupId}" stopped by the registry`);
  }

  private createClient(): Kafka {
    const { client } = this.options;
    return new Kafka({
      logLevel: logLevel.WARN,
      logCreator: nestLogCreator(new Logger('kafkajs')),
      ...client,
    });
  }

  /** `onCrash: 'exit'`: leave the groups as cleanly as `shutdownTimeoutMs` allows, then exit 1. */
  private exitOnCrash(_groupId: string, _error: unknown): void {
    setTimeout(exitWithFailure, this.options.shutdownTimeoutMs + 5000).unref();
    this.close().then(exitWithFailure, exitWithFailure);
  }

  private async stopRunners(): Promise<void> {
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    this.observability.close();
    const runners = [...this.runners.values()];
    const results = await Promise.allSettled(runners.map((runner) => runner.close()));
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        this.logger.warn(`Group "${runners[i].groupId}" did not close cleanly: ${describeError(result.reason)}`);
      }
    });
    this.runners.clear();
    // After the groups: a record finishing during shutdown may still need its dead-letter write.
    await this.deadLetters.close();
    // Bounded by what remains of shutdownTimeoutMs (at least a second): a black-holed store's
    // driver would otherwise hold the exit until it gives up (pg's pool.end() waits for a hung
    // query's connection, ioredis' QUIT for a reply). It goes on disconnecting in the background.
    const disconnecting = this.disconnectStores();
    if (!(await settlesWithin(disconnecting, Math.max(deadline - Date.now(), MIN_STORE_DISCONNECT_MS)))) {
      this.logger.warn(storeDisconnectTimedOut(this.options.shutdownTimeoutMs));
    }
  }

  private async disconnectStores(): Promise<void> {
    await this.offsetStores.disconnectAll((store, error) => {
      this.logger.warn(`Offset store ${store.constructor.name} did not disconnect cleanly: ${describeError(error)}`);
    });
  }
}
