import type { IHeaders, KafkaMessage } from 'kafkajs';

/** Bytes a fetched record holds: key, value, and header names and values. */
export function recordBytes(message: KafkaMessage): number {
  let size = (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += name.length;
    for (const item of Array.isArray(value) ? value : [value]) size += item?.length ?? 0;
  }
  return size;
}

/**
 * A copy of `message` whose key, value and header values no longer share memory with the fetch
 * response: kafkajs decodes them as views of that response (up to `maxBytes`, 10 MB by default),
 * so one queued record would otherwise keep the whole response alive.
 */
export function detachRecord(message: KafkaMessage): KafkaMessage {
  const detached = { ...message, key: copy(message.key), value: copy(message.value) };
  if (message.headers) detached.headers = copyHeaders(message.headers);
  return detached;
}

function copy<T extends Buffer | string | null | undefined>(value: T): T {
  return (Buffer.isBuffer(value) ? Buffer.from(value) : value) as T;
}

function copyHeaders(headers: IHeaders): IHeaders {
  const copied: IHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    copied[name] = Array.isArray(value) ? value.map((item) => copy(item)) : copy(value);
  }
  return copied;
}
