import type { KafkaMessage } from 'kafkajs';
import { DeserializationError } from '../errors/deserialization.error.js';
import type { DeserializerKind } from '../kafka-consumer.options.js';
import { invalidJson } from '../kafka-consumer.messages.js';

/** Decodes a record value. A null value (tombstone) is always delivered as null. */
export type ValueDeserializer = (value: Buffer | null, topic: string, partition: number, offset: string) => unknown;

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

export function deserializerFor(kind: DeserializerKind): ValueDeserializer {
  return DESERIALIZERS[kind];
}

/** Header values as strings; a header repeated in the record becomes an array. */
export type DecodedHeaders = Record<string, string | string[] | undefined>;

export function decodeHeaders(headers: KafkaMessage['headers']): DecodedHeaders {
  const decoded: DecodedHeaders = {};
  if (!headers) return decoded;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) decoded[name] = undefined;
    else if (Array.isArray(value))
      decoded[name] = value.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
    else decoded[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return decoded;
}

export function decodeKey(key: Buffer | null | undefined): string | null {
  return key === null || key === undefined ? null : key.toString('utf8');
}
