import { describe, expect, it } from 'vitest';
import { resolveModuleOptions } from './kafka-consumer.options.js';
import { client, expectRejected, minimal } from './kafka-consumer.options.spec-helpers.js';

describe('resolveModuleOptions: resource limits', () => {
  it('keeps valid limits', () => {
    const resolved = resolveModuleOptions({
      client,
      maxBufferedBytes: 1024,
      maxUncommittedRecordsPerPartition: 50,
      offsetStoreSaveTimeoutMs: 250,
    });
    expect(resolved).toMatchObject({
      maxBufferedBytes: 1024,
      maxUncommittedRecordsPerPartition: 50,
      offsetStoreSaveTimeoutMs: 250,
    });
  });

  it.each([
    ['maxBufferedBytes', 0, '0', 'an integer >= 1'],
    ['maxBufferedBytes', '32mb', '"32mb"', 'an integer >= 1'],
    ['maxUncommittedRecordsPerPartition', 1.5, '1.5', 'an integer >= 1'],
    ['offsetStoreSaveTimeoutMs', 0, '0', 'an integer from 1 to 2147483647 (ms)'],
    ['offsetStoreSaveTimeoutMs', 2 ** 31, '2147483648', 'an integer from 1 to 2147483647 (ms)'],
  ])('rejects %s = %s', (path, value, shown, allowed) => {
    expectRejected(() => resolveModuleOptions({ client, [path]: value }), path, shown, allowed);
  });
});
describe('partition lifecycle options', () => {
  it('keeps valid values', () => {
    const resolved = resolveModuleOptions({ ...minimal, revokeGraceMs: 0, offsetStoreLoadTimeoutMs: 250 });
    expect(resolved.revokeGraceMs).toBe(0);
    expect(resolved.offsetStoreLoadTimeoutMs).toBe(250);
  });

  it('rejects a bad value naming the option and what is allowed', () => {
    expectRejected(
      () => resolveModuleOptions({ ...minimal, revokeGraceMs: -1 }),
      'revokeGraceMs',
      '-1',
      'a number of ms',
    );
    expectRejected(
      () => resolveModuleOptions({ ...minimal, offsetStoreLoadTimeoutMs: 0 }),
      'offsetStoreLoadTimeoutMs',
      '0',
      'from 1 to',
    );
    expectRejected(
      () => resolveModuleOptions({ ...minimal, offsetStoreLoadTimeoutMs: '5s' }),
      'offsetStoreLoadTimeoutMs',
      '"5s"',
      'a number of ms',
    );
  });
});
