import type { KafkaMessage } from 'kafkajs';
import { DeserializationError } from '../errors/deserialization.error.js';
import type { DeserializerKind, DeserializerOption } from '../kafka-consumer.options.js';
import { invalidJson } from '../kafka-consumer.messages.js';

/**
 * Decodes a record value. A null value (tombstone) is always delivered as null. Built-in ones
 * return the value; a `Deserializer` class may return a promise of it.
 */
export type ValueDeserializer = (
  value: Buffer | null,
  topic: string,
  partition: number,
  offset: string,
  message?: KafkaMessage,
) => unknown;

const json: ValueDeserializer = (value, topic, partition, offset) => {
  if (value === null) return null;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch (cause) {
    throw new DeserializationError(invalidJson(topic, partition, offset, cause), topic, partition, offset, cause);
  }
};

const string: ValueDeserializer = (value) => (value === null ? null : value.toString('utf8'));

const buffer: ValueDeserializer = (value) => value;

const DESERIALIZERS: Record<DeserializerKind, ValueDeserializer> = { json, string, buffer };

/** A built-in deserializer by name. A `Deserializer` class is resolved through DI (`resolveDeserializer`). */
export function deserializerFor(kind: DeserializerOption): ValueDeserializer {
  if (typeof kind === 'function')
    throw new TypeError(`${kind.name} is a Deserializer class: resolve it with resolveDeserializer()`);
  return DESERIALIZERS[kind];
}

/**
 * Header values as strings; a header repeated in the record becomes an array. A header whose value
 * is null (legal in Kafka, written e.g. by the Java client) is `null`, also inside an array.
 */
export type DecodedHeaders = Record<string, string | null | Array<string | null> | undefined>;

function decodeHeaderValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

export function decodeHeaders(headers: KafkaMessage['headers']): DecodedHeaders {
  const decoded: DecodedHeaders = {};
  if (!headers) return decoded;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) decoded[name] = undefined;
    else if (Array.isArray(value)) decoded[name] = value.map(decodeHeaderValue);
    else decoded[name] = decodeHeaderValue(value);
  }
  return decoded;
}

export function decodeKey(key: Buffer | null | undefined): string | null {
  return key === null || key === undefined ? null : key.toString('utf8');
}
