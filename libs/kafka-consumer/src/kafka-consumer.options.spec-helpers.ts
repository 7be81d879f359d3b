import { expect } from 'vitest';
import { InvalidOptionsError } from './errors/invalid-options.error.js';

export const client = { clientId: 'orders-service', brokers: ['127.0.0.1:9092'] };
export const minimal = { client };

export class CustomOffsetStore {
  readonly kind = 'custom';
}
export class OtherOffsetStore {
  readonly kind = 'other';
}
export const brokerList = async (): Promise<string[]> => ['kafka:9092'];
export class ValidationFailed extends Error {}

/** Runs `fn` and returns the InvalidOptionsError it throws; fails the test if it throws anything else. */
export function invalidOptionsFrom(fn: () => unknown): InvalidOptionsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe('KAFKA_CONSUMER_INVALID_OPTIONS');
    return error as InvalidOptionsError;
  }
  throw new Error('expected InvalidOptionsError, nothing was thrown');
}

/** Asserts the error names the option path, shows the value and says what is allowed. */
export const DURATION = 'a number of ms from 0 to 2147483647';

export function expectRejected(fn: () => unknown, path: string, shownValue: string, allowed: string | RegExp): void {
  const { message } = invalidOptionsFrom(fn);
  expect(message).toContain(`"${path}"`);
  expect(message).toContain(shownValue);
  if (typeof allowed === 'string') expect(message).toContain(allowed);
  else expect(message).toMatch(allowed);
}
