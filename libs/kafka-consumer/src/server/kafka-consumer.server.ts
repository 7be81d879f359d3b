import { Inject, Injectable, Logger, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { DeadLetterPublisher } from '../dead-letter/dead-letter.publisher.js';
import { planFailureTopics } from '../dead-letter/failure-topology.js';
import { KAFKA_CONSUMER_RESOLVED_OPTIONS, KAFKA_CONSUMER_TRANSPORT } from '../kafka-consumer.constants.js';
import { describeError } from '../kafka-consumer.messages.js';
import type { ResolvedModuleOptions } from '../kafka-consumer.options.js';
import { OffsetStore } from '../offset-stores/offset-store.js';
import { retryTopicHandlers } from '../retry-topics/retry-topic.handlers.js';
import { invokeHandler } from './handler-invocation.js';
import { handlerDefinition, planGroups, type HandlerDefinition } from './consumer-group.plan.js';
import { ConsumerGroupRunner, type GroupHandler } from './consumer-group.runner.js';
import { nestLogCreator } from './kafkajs-logger.js';

/**
 * The Nest transport strategy: gathers the `@ConsumeTopic` handlers Nest hands to `addHandler`,
 * runs one `ConsumerGroupRunner` (one kafkajs consumer) per consumer group, and leaves every group
 * cleanly on `close()`. A provider: get it with `app.get(KafkaConsumerServer)`.
 */
@Injectable()
export class KafkaConsumerServer extends Server implements CustomTransportStrategy {
  override transportId = KAFKA_CONSUMER_TRANSPORT;
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger('KafkaConsumer');

  private readonly definitions: HandlerDefinition<MessageHandler>[] = [];
  private readonly runners = new Map<string, ConsumerGroupRunner>();
  private readonly stores = new Map<Type<OffsetStore>, OffsetStore>();
  private readonly connectedStores = new Set<OffsetStore>();
  private kafka: Kafka | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    @Inject(KAFKA_CONSUMER_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
    private readonly moduleRef: ModuleRef,
    private readonly defaultOffsetStore: OffsetStore,
    private readonly deadLetters: DeadLetterPublisher,
  ) {
    super();
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
      await this.stopRunners().catch(() => undefined);
      callback(error);
    }
  }

  /** Leaves every group: stop fetching, finish running handlers, commit, disconnect. Idempotent. */
  async close(): Promise<void> {
    this.closing ??= this.stopRunners();
    await this.closing;
  }

  /** The kafkajs client and the consumer of each group. */
  unwrap<T>(): T {
    return { kafka: this.kafka, consumers: new Map([...this.runners].map(([id, r]) => [id, r.consumer])) } as T;
  }

  on(): never {
    throw new Error('KafkaConsumerServer has no events; use KafkaConsumerRegistry for runtime state.');
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
    const kafka = this.createClient();
    this.kafka = kafka;
    // Dead-letter and retry topics are checked (or created) before any group consumes.
    await this.deadLetters.start(kafka, planFailureTopics(groups.flatMap((group) => [...group.handlers.values()])));
    const runners: ConsumerGroupRunner[] = [];
    for (const group of groups) {
      const offsetStore = await this.resolveStore(group.offsetStore);
      // An unreachable store fails bootstrap here, before any group joins.
      if (!this.connectedStores.has(offsetStore)) {
        this.connectedStores.add(offsetStore);
        await offsetStore.connect();
      }
      const handlers = new Map<string, GroupHandler>();
      for (const planned of group.handlers.values()) {
        const handler: GroupHandler = {
          topic: planned.topic,
          name: planned.name,
          options: planned.options,
          invoke: (data, ctx) => this.invoke(planned.callback, data, ctx),
        };
        handlers.set(planned.topic, handler);
        for (const retryHandler of retryTopicHandlers(handler, group.groupId)) {
          handlers.set(retryHandler.topic, retryHandler);
        }
      }
      const runner = new ConsumerGroupRunner({
        groupId: group.groupId,
        kafka,
        handlers,
        offsetStore,
        module: this.options,
        logger: this.logger,
        onDeserializationFailure: (_handler, ctx, error) => this.deadLetters.recoverUndeserializable(ctx, error),
      });
      this.runners.set(group.groupId, runner);
      runners.push(runner);
    }
    await Promise.all(runners.map((runner) => runner.start()));
    for (const runner of runners) {
      this.logger.log(`Group "${runner.groupId}" consuming ${runner.topics.map((t) => `"${t}"`).join(', ')}`);
    }
  }

  /** Runs one record through the Nest handler; rejects with the handler's original error. */
  private invoke(callback: MessageHandler, data: unknown, ctx: KafkaConsumerContext): Promise<void> {
    return invokeHandler(callback, data, ctx, (context, fn) => this.runWithProcessingHooks(context, fn));
  }

  private createClient(): Kafka {
    const { client } = this.options;
    return new Kafka({
      logLevel: logLevel.WARN,
      logCreator: nestLogCreator(new Logger('kafkajs')),
      ...client,
    });
  }

  private async resolveStore(type: Type<OffsetStore> | undefined): Promise<OffsetStore> {
    if (type === undefined) return this.defaultOffsetStore;
    if (this.defaultOffsetStore instanceof type) return this.defaultOffsetStore;
    const cached = this.stores.get(type);
    if (cached) return cached;
    let store: OffsetStore;
    try {
      store = this.moduleRef.get(type, { strict: false });
    } catch {
      store = await this.moduleRef.create(type);
    }
    this.stores.set(type, store);
    return store;
  }

  private async stopRunners(): Promise<void> {
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
    await this.disconnectStores();
  }

  private async disconnectStores(): Promise<void> {
    const stores = [...this.connectedStores];
    this.connectedStores.clear();
    for (const store of stores) {
      await store.disconnect().catch((error: unknown) => {
        this.logger.warn(`Offset store ${store.constructor.name} did not disconnect cleanly: ${describeError(error)}`);
      });
    }
  }
}
