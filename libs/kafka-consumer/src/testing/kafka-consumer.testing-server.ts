import { Inject, Injectable } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { DeadLetterPublisher } from '../dead-letter/dead-letter.publisher.js';
import { KAFKA_CONSUMER_RESOLVED_OPTIONS, KAFKA_CONSUMER_TRANSPORT } from '../kafka-consumer.constants.js';
import type { ResolvedModuleOptions } from '../kafka-consumer.options.js';
import { deserializerFor } from '../serialization/deserializer.js';
import {
  handlerDefinition,
  planGroups,
  type HandlerDefinition,
  type PlannedHandler,
} from '../server/consumer-group.plan.js';
import { invokeHandler } from '../server/handler-invocation.js';
import { captureFailure, type CapturedDeadLetter } from './captured-dead-letters.js';

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
}

/** What happened to a dispatched record. */
export interface DispatchResult {
  /**
   * `processed`: the handler (or an exception filter) settled it; `dead-lettered`: it failed and
   * went to a dead-letter or retry topic (see `deadLetter`); `failed`: it failed and would stay
   * uncommitted, its partition waiting to deliver it again.
   */
  status: 'processed' | 'dead-lettered' | 'failed';
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

  constructor(
    @Inject(KAFKA_CONSUMER_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
    publisher: DeadLetterPublisher,
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
    const message = this.toMessage(topic, record);
    const partition = record.partition ?? 0;
    let commitCalled = false;
    const ctx = new KafkaConsumerContext([message, topic, partition, handler.groupId], {
      commit: async () => {
        commitCalled = true;
      },
      heartbeat: async () => undefined,
      pause: () => undefined,
      resume: () => undefined,
      signal: new AbortController().signal,
      handler: { name: handler.name, options: handler.options },
    });
    const settled = (status: DispatchResult['status'], error?: unknown): DispatchResult => ({
      status,
      attempts: ctx.attempt,
      committed: status !== 'failed' ? handler.options.commit === 'auto' || commitCalled : commitCalled,
      ...(error === undefined ? {} : { error }),
      ...(status === 'dead-lettered' ? { deadLetter: this.deadLetters[this.deadLetters.length - 1] } : {}),
    });

    let data: unknown;
    try {
      data = deserializerFor(handler.options.deserializer)(message.value, topic, partition, message.offset);
    } catch (error) {
      const captured = captureFailure(ctx, error, false);
      if (!captured) return settled('failed', error);
      this.deadLetters.push(captured);
      return settled('dead-lettered', error);
    }
    const deadLettersBefore = this.deadLetters.length;
    try {
      await invokeHandler(handler.callback, data, ctx, (context, fn) => this.runWithProcessingHooks(context, fn));
    } catch (error) {
      return settled('failed', error);
    }
    if (this.deadLetters.length > deadLettersBefore) {
      return settled('dead-lettered', this.deadLetters[this.deadLetters.length - 1].error);
    }
    return settled('processed');
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
