import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { resolveHandlerOptions, resolveModuleOptions } from '../kafka-consumer.options.js';

const client = { brokers: ['127.0.0.1:9092'] };
const where = "@ConsumeTopic('orders') on OrdersController.bill:";

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return (error as Error).message;
  }
  throw new Error('expected InvalidOptionsError');
}

describe('concurrency options', () => {
  it("defaults to mode 'partition' (one record per partition), and key/unordered to maxInFlight 100", () => {
    expect(resolveModuleOptions({ client }).concurrency).toEqual({ mode: 'partition', maxInFlight: 1 });
    expect(resolveModuleOptions({ client, concurrency: { mode: 'key' } }).concurrency).toEqual({
      mode: 'key',
      maxInFlight: 100,
    });
    expect(resolveModuleOptions({ client, concurrency: { mode: 'unordered', maxInFlight: 7 } }).concurrency).toEqual({
      mode: 'unordered',
      maxInFlight: 7,
    });
  });

  it("a handler inherits the module's concurrency field by field, and may go back to 'partition'", () => {
    const module = resolveModuleOptions({ client, concurrency: { mode: 'key', maxInFlight: 20 } });
    expect(resolveHandlerOptions(where, {}, module).concurrency).toEqual({ mode: 'key', maxInFlight: 20 });
    expect(resolveHandlerOptions(where, { concurrency: { mode: 'unordered' } }, module).concurrency).toEqual({
      mode: 'unordered',
      maxInFlight: 20,
    });
    expect(resolveHandlerOptions(where, { concurrency: { maxInFlight: 5 } }, module).concurrency).toEqual({
      mode: 'key',
      maxInFlight: 5,
    });
    expect(resolveHandlerOptions(where, { concurrency: { mode: 'partition' } }, module).concurrency).toEqual({
      mode: 'partition',
      maxInFlight: 1,
    });
  });

  it('rejects a wrong mode, maxInFlight or key with a message naming the option, value and what is allowed', () => {
    const mode = rejection(() => resolveModuleOptions({ client, concurrency: { mode: 'parallel' } }));
    expect(mode).toContain('"concurrency.mode"');
    expect(mode).toContain('"parallel"');
    expect(mode).toContain("'partition' | 'key' | 'unordered'");
    const max = rejection(() => resolveModuleOptions({ client, concurrency: { mode: 'key', maxInFlight: 0 } }));
    expect(max).toContain('"concurrency.maxInFlight"');
    expect(max).toContain('an integer >= 1');
    const partition = rejection(() =>
      resolveHandlerOptions(where, { concurrency: { maxInFlight: 10 } }, resolveModuleOptions({ client })),
    );
    expect(partition).toContain('concurrency.maxInFlight');
    expect(partition).toContain("mode 'key' or 'unordered'");
    const unknown = rejection(() => resolveModuleOptions({ client, concurrency: { mode: 'key', maxInflight: 3 } }));
    expect(unknown).toContain('maxInflight');
    expect(unknown).toContain('maxInFlight');
    expect(rejection(() => resolveModuleOptions({ client, concurrency: 'key' }))).toContain('"concurrency"');
  });
});
