import { describe, expect, it } from 'vitest';
import { resolveHandlerOptions, resolveModuleOptions } from './kafka-consumer.options.js';
import {
  client,
  CustomOffsetStore,
  expectRejected,
  minimal,
  OtherOffsetStore,
} from './kafka-consumer.options.spec-helpers.js';

describe('resolveHandlerOptions', () => {
  const where = "@ConsumeTopic('orders') on OrdersController.bill:";
  const module = resolveModuleOptions({
    client,
    consumer: { groupId: 'orders' },
    offsetStore: CustomOffsetStore,
    commit: 'manual',
    fromBeginning: true,
    deserializer: 'string',
    retry: { attempts: 5 },
    deadLetter: { enabled: true },
  });

  it('inherits every module default when the handler sets nothing', () => {
    expect(resolveHandlerOptions(where, undefined, module)).toEqual({
      groupId: 'orders',
      fromBeginning: true,
      commit: 'manual',
      deserializer: 'string',
      retry: module.retry,
      deadLetter: module.deadLetter,
      offsetStore: CustomOffsetStore,
      refused: 'skip',
      exhausted: 'redeliver',
      concurrency: { mode: 'partition', maxInFlight: 1 },
      autoStartup: true,
    });
  });

  it('lets every per-handler option win over the module default', () => {
    const resolved = resolveHandlerOptions(
      where,
      {
        groupId: 'billing',
        fromBeginning: false,
        commit: 'auto',
        deserializer: 'buffer',
        retry: false,
        deadLetter: false,
        offsetStore: OtherOffsetStore as never,
        refused: 'dead-letter',
        exhausted: { skipAfterRedeliveries: 2 },
        concurrency: { mode: 'key', maxInFlight: 8 },
        autoStartup: false,
      },
      module,
    );
    expect(resolved).toEqual({
      groupId: 'billing',
      fromBeginning: false,
      commit: 'auto',
      deserializer: 'buffer',
      retry: false,
      deadLetter: false,
      offsetStore: OtherOffsetStore,
      refused: 'dead-letter',
      exhausted: { skipAfterRedeliveries: 2 },
      concurrency: { mode: 'key', maxInFlight: 8 },
      autoStartup: false,
    });
  });

  it('merges a partial per-handler retry over the module retry', () => {
    const resolved = resolveHandlerOptions(where, { retry: { backoff: { type: 'fixed' } } }, module);
    expect(resolved.retry).toMatchObject({ attempts: 5, backoff: { type: 'fixed', delayMs: 200 } });
  });

  it('turns dead-lettering on per handler when the module has it off', () => {
    const withoutDlt = resolveModuleOptions(minimal);
    expect(resolveHandlerOptions(where, { deadLetter: { enabled: true } }, withoutDlt).deadLetter).not.toBe(false);
    expect(resolveHandlerOptions(where, {}, withoutDlt).deadLetter).toBe(false);
  });

  it('leaves groupId undefined when neither handler nor module sets one', () => {
    expect(resolveHandlerOptions(where, {}, resolveModuleOptions(minimal)).groupId).toBeUndefined();
  });

  it('names the handler in errors', () => {
    expectRejected(
      () => resolveHandlerOptions(where, { commit: 'never' as never }, module),
      `${where} commit`,
      '"never"',
      "'auto' | 'manual'",
    );
    expectRejected(
      () => resolveHandlerOptions(where, { groupId: ' ' }, module),
      `${where} groupId`,
      '" "',
      'a non-empty string',
    );
    expectRejected(
      () => resolveHandlerOptions(where, { deserializer: 'xml' as never }, module),
      `${where} deserializer`,
      '"xml"',
      "'json' | 'string' | 'buffer'",
    );
    expectRejected(
      () => resolveHandlerOptions(where, { offsetStore: 'redis' as never }, module),
      `${where} offsetStore`,
      '"redis"',
      'a class extending OffsetStore',
    );
    expectRejected(
      () => resolveHandlerOptions(where, { retry: { attempts: 0 } }, module),
      `${where} retry.attempts`,
      '0',
      'an integer >= 1',
    );
  });

  it('rejects handler options that are not an object', () => {
    expectRejected(
      () => resolveHandlerOptions(where, 'billing' as never, module),
      `${where} options`,
      '"billing"',
      'an object',
    );
  });
});
