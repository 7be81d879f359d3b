import type { Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { KafkaMessage } from 'kafkajs';
import { DeserializationError } from '../errors/deserialization.error.js';
import { deserializerFailed } from '../kafka-consumer.messages.js';
import type { DeserializerOption } from '../kafka-consumer.options.js';
import { decodeHeaders, deserializerFor, type DecodedHeaders, type ValueDeserializer } from './deserializer.js';

/** Where a record comes from, for a `Deserializer` (e.g. to pick a schema by header). */
export interface DeserializationContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  /** Header values as strings (see `DecodedHeaders`). */
  readonly headers: DecodedHeaders;
  /** The raw kafkajs record. */
  readonly message: KafkaMessage;
}

/**
 * A value deserializer of your own, e.g. Avro or Protobuf with a schema registry: a class given as
 * `deserializer` (module or `@ConsumeTopic` option), resolved through Nest DI (so it can inject a
 * registry client). It may be async. What it throws (or rejects with) becomes a
 * `DeserializationError` with it as `cause`: not retried, dead-lettered when dead-lettering is on.
 * A tombstone (null value) is delivered as null without calling it.
 */
export interface Deserializer<T = unknown> {
  deserialize(value: Buffer, context: DeserializationContext): T | Promise<T>;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';

/** A `ValueDeserializer` calling `instance`, with its failures as `DeserializationError`. */
export function classDeserializer(instance: Deserializer, name: string): ValueDeserializer {
  return (value, topic, partition, offset, message) => {
    if (value === null) return null;
    const fail = (cause: unknown): never => {
      throw new DeserializationError(
        deserializerFailed(name, topic, partition, offset, cause),
        topic,
        partition,
        offset,
        cause,
      );
    };
    const context: DeserializationContext = {
      topic,
      partition,
      offset,
      key: message?.key ?? null,
      headers: decodeHeaders(message?.headers),
      message: message as KafkaMessage,
    };
    try {
      const result = instance.deserialize(value, context);
      return isThenable(result) ? Promise.resolve(result).catch(fail) : result;
    } catch (cause) {
      return fail(cause);
    }
  };
}

/**
 * The deserializer of a handler: a built-in one by name, or the DI instance of a class (a provider
 * of the app when there is one, else instantiated with its dependencies injected).
 */
export async function resolveDeserializer(
  option: DeserializerOption,
  moduleRef: ModuleRef,
): Promise<ValueDeserializer> {
  if (typeof option !== 'function') return deserializerFor(option);
  const type = option as Type<Deserializer>;
  let instance: Deserializer;
  try {
    instance = moduleRef.get(type, { strict: false });
  } catch {
    instance = await moduleRef.create(type);
  }
  return classDeserializer(instance, type.name);
}
