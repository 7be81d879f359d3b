import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { invalidOption, unknownOption } from '../kafka-consumer.messages.js';

// Readers every option resolver uses: each validates one value and names its path in the error.

export const fail = (path: string, value: unknown, allowed: string): never => {
  throw new InvalidOptionsError(invalidOption(path, value, allowed));
};

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Longest delay or timeout an option accepts, in ms: Node's timers hold a signed 32-bit value and
 * fire after 1 ms for anything larger (with a `TimeoutOverflowWarning`), about 24.8 days.
 */
export const MAX_DELAY_MS = 2_147_483_647;

/** A delay or timeout in ms: a number from 0 to `MAX_DELAY_MS`. Use it for every `...Ms`/timeout option. */
export function durationMs(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_MS) {
    fail(path, value, `a number of ms from 0 to ${MAX_DELAY_MS} (about 24.8 days: Node timers fire at once above it)`);
  }
  return value as number;
}

/**
 * Reads of an options object, so that a key the resolver never looked at fails as unknown (a
 * typo such as \`commitIntervalMS\` or \`deadletter\` would otherwise be ignored). A resolver reads
 * every key it supports through \`options\`, then calls \`rejectUnknown()\`: options added later
 * are known as soon as their resolver reads them.
 */
export function readTracked(path: string, value: Record<string, unknown>) {
  const read = new Set<string>();
  const options = new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  const rejectUnknown = (): void => {
    const unknown = Object.keys(value).filter((key) => !read.has(key));
    if (unknown.length > 0) throw new InvalidOptionsError(unknownOption(path, unknown, [...read]));
  };
  return { options, rejectUnknown };
}

export function nonNegativeNumber(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(path, value, 'a number >= 0');
  return value as number;
}

export function positiveInteger(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(path, value, 'an integer >= 1');
  return value as number;
}

export function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) fail(path, value, allowed.map((a) => `'${a}'`).join(' | '));
  return value as T;
}

export function boolean(path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(path, value, 'true | false');
  return value as boolean;
}
