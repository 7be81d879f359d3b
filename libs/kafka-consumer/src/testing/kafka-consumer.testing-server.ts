import { Inject, Injectable } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { DeadLetterPublisher } from '../dead-letter/dead-letter.publisher.js';
import { KAFKA_CONSUMER_RESOLVED_OPTIONS, KAFKA_CONSUMER_TRANSPORT } from '../kafka-consumer.constants.js';
import type { ResolvedModuleOptions } from '../kafka-consumer.options.js';
import { ModuleRef } from '@nestjs/core';
import { resolveDeserializer } from '../serialization/deserializer-class.js';
import type { ValueDeserializer } from '../serialization/deserializer.js';
import { FailureSettlement } from '../retry/failure-settlement.js';
import type { RecordOutcome } from '../retry/record-outcome.js';
import {
  handlerDefinition,
  planGroups,
  routeEntries,
  type HandlerDefinition,
  type PlannedHandler,
} from '../server/consumer-group.plan.js';
import { invokeHandler } from '../server/handler-invocation.js';
import { buildRouter } from '../server/handler-routes.js';
import { headerValue } from '../dead-letter/dead-letter.headers.js';
import { UnroutedRecordError } from '../errors/unrouted-record.error.js';
import { unroutedRecord } from '../kafka-consumer.messages.js';
import { captureFailure, type CapturedDeadLetter } from './captured-dead-letters.js';
import { processingHooksOf } from '../server/processing-hooks.js';

/** A test record's key, value or header as Kafka bytes: objects as JSON, strings as UTF-8. */
function toBuffer(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

/** A record to dispatch: an object value is sent as JSON, a string as UTF-8, a Buffer as is. */
export interface TestRecord {
  value: unknown;
  key?: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
  /** Default: the next offset of that topic partition in this server, from 0. */
  offset?: number;
  /** Default: now. */
  timestamp?: number;
  /** How often the record was delivered again after failing before (for `exhausted` policies). Default 0. */
  redeliveries?: number;
}

/** What happened to a dispatched record. */
export interface DispatchResult {
  /**
   * `processed`: the handler (or an exception filter) settled it; `dead-lettered`: it failed and
   * went to a dead-letter or retry topic (see `deadLetter`); `skipped`: committed unprocessed by a
   * failure policy (a guard refusal, `exhausted`, an undecodable dead-letter record); `failed`: it
   * failed and would stay uncommitted, its partition waiting to deliver it again.
   */
  status: 'processed' | 'dead-lettered' | 'skipped' | 'failed';
  /** The outcome as the real transport acts on it (`kind`, and `reason` for skipped and redelivered records). */
  outcome: RecordOutcome;
  /** Handler attempts made (retry included). */
  attempts: number;
  /** Whether its offset would be committed: settled in `auto` mode, or `ctx.commit()` called in `manual`. */
  committed: boolean;
  /** The handler's error, when it failed. */
  error?: unknown;
  deadLetter?: CapturedDeadLetter;
}

/**
 * A broker-free stand-in for `KafkaConsumerServer`: collects the same `@ConsumeTopic` handlers and
 * runs records through the same Nest pipeline (guards, interceptors with retry and dead-lettering,
 * pipes, filters), with dead-letter and retry-topic writes captured in memory.
 */
@Injectable()
export class KafkaConsumerTestingServer extends Server implements CustomTransportStrategy {
  override transportId = KAFKA_CONSUMER_TRANSPORT;
  override readonly propagatesEventHandlerErrors = true;

  /** Everything the pipeline dead-lettered or forwarded to a retry topic, in order. */
  readonly deadLetters: CapturedDeadLetter[] = [];
  private readonly definitions: HandlerDefinition<MessageHandler>[] = [];
  private handlers: Array<PlannedHandler<MessageHandler> & { groupId: string }> = [];
  private readonly nextOffsets = new Map<string, number>();
  private readonly deserializers = new Map<object, Promise<ValueDeserializer>>();

  constructor(
    @Inject(KAFKA_CONSUMER_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
    publisher: DeadLetterPublisher,
    private readonly failures: FailureSettlement,
    private readonly moduleRef: ModuleRef,
  ) {
    super();
    // Dead-letter writes of the real interceptors land in memory instead of Kafka.
    publisher.recover = async (ctx, error, retriable) => {
      const captured = captureFailure(ctx, error, retriable);
      if (captured) this.deadLetters.push(captured);
      return captured !== null;
    };
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

  /** Validates the handlers as the real server does (same errors); connects to nothing. */
  listen(callback: (error?: unknown) => void): void {
    try {
      this.handlers = planGroups(this.definitions, this.options).flatMap((group) =>
        [...group.handlers.values()].map((handler) => ({ ...handler, groupId: group.groupId })),
      );
      callback();
    } catch (error) {
      callback(error);
    }
  }

  close(): void {}

  on(): never {
    throw new Error('KafkaConsumerTestingServer has no events.');
  }

  unwrap<T>(): T {
    return undefined as T;
  }

  /** Runs one record through the handler of `topic` (in `groupId` when several groups consume it). */
  async dispatch(topic: string, record: TestRecord, groupId?: string): Promise<DispatchResult> {
    const candidates = this.handlers.filter(
      (h) => h.topic === topic && (groupId === undefined || h.groupId === groupId),
    );
    if (candidates.length !== 1) {
      const groups = this.handlers.filter((h) => h.topic === topic).map((h) => h.groupId);
      throw new Error(
        candidates.length === 0
          ? `No @ConsumeTopic handler for topic "${topic}"${groupId ? ` in group "${groupId}"` : ''} (groups: ${groups.join(', ') || 'none'})`
          : `Topic "${topic}" is consumed by groups ${groups.join(', ')}: pass the groupId to dispatch()`,
      );
    }
    const handler = candidates[0];
    if (handler.options.batch) {
      throw new Error(`${handler.name} is a batch handler: the testing server runs per-record handlers only`);
    }
    const message = this.toMessage(topic, record);
    const partition = record.partition ?? 0;
    let commitCalled = false;
    const controls = {
      commit: async () => {
        commitCalled = true;
      },
      heartbeat: async () => undefined,
      pause: () => undefined,
      resume: () => undefined,
      signal: new AbortController().signal,
    };
    const contextFor = (h: PlannedHandler<MessageHandler>) =>
      new KafkaConsumerContext(
        [message, topic, partition, handler.groupId],
        { ...controls, handler: { name: h.name, options: h.options } },
        record.redeliveries ?? 0,
      );
    const ctx = contextFor(handler);
    const settle = (c: KafkaConsumerContext, error: unknown, stage: Parameters<FailureSettlement['settle']>[2]) =>
      this.failures.settle(c, error, stage);
    let outcome: RecordOutcome;
    let data: unknown;
    let decoded = false;
    try {
      let deserialize = this.deserializers.get(handler);
      if (!deserialize)
        this.deserializers.set(
          handler,
          (deserialize = resolveDeserializer(handler.options.deserializer, this.moduleRef)),
        );
      data = await (await deserialize)(message.value, topic, partition, message.offset, message);
      decoded = true;
    } catch (error) {
      outcome = await settle(ctx, error, 'deserialization');
    }
    let target: PlannedHandler<MessageHandler> | undefined = handler;
    if (decoded && handler.routes) {
      // Routed topics: the handler the real transport's router would pick, or the unrouted policy.
      const router = buildRouter(topic, handler.groupId, routeEntries(handler));
      const value = router.header === undefined ? undefined : headerValue(message.headers, router.header);
      target = router.select(value, data);
      if (!target) {
        const names = router.handlers.map((h) => h.name);
        const error = new UnroutedRecordError(
          unroutedRecord(router.header, value, names),
          topic,
          partition,
          message.offset,
        );
        outcome =
          router.unrouted === 'dead-letter'
            ? await settle(ctx, error, 'deserialization')
            : { kind: 'skipped', reason: 'unrouted', error };
      }
    }
    if (decoded && target) {
      const targetCtx = target === handler ? ctx : contextFor(target);
      outcome = await invokeHandler(target.callback, data, targetCtx, processingHooksOf(this), settle);
    }
    return this.result(outcome!, ctx, (target ?? handler).options.commit === 'auto', commitCalled);
  }

  private result(
    outcome: RecordOutcome,
    ctx: KafkaConsumerContext,
    auto: boolean,
    commitCalled: boolean,
  ): DispatchResult {
    const status: DispatchResult['status'] =
      outcome.kind === 'processed'
        ? 'processed'
        : outcome.kind === 'dead-lettered' || outcome.kind === 'forwarded'
          ? 'dead-lettered'
          : outcome.kind === 'skipped'
            ? 'skipped'
            : 'failed';
    return {
      status,
      outcome,
      attempts: ctx.attempt,
      committed: status === 'failed' ? commitCalled : auto || commitCalled,
      ...('error' in outcome ? { error: outcome.error } : {}),
      ...(status === 'dead-lettered' ? { deadLetter: this.deadLetters[this.deadLetters.length - 1] } : {}),
    };
  }

  private toMessage(topic: string, record: TestRecord): KafkaMessage {
    const partition = record.partition ?? 0;
    const key = `${topic}:${partition}`;
    const offset = record.offset ?? this.nextOffsets.get(key) ?? 0;
    this.nextOffsets.set(key, offset + 1);
    const headers: IHeaders = {};
    for (const [name, value] of Object.entries(record.headers ?? {})) headers[name] = toBuffer(value) ?? undefined;
    return {
      key: toBuffer(record.key),
      value: toBuffer(record.value),
      headers,
      offset: String(offset),
      timestamp: String(record.timestamp ?? Date.now()),
      attributes: 0,
    } as unknown as KafkaMessage;
  }
}
