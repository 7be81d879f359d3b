import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { resolveHandlerOptions, resolveModuleOptions } from '../kafka-consumer.options.js';
import { resolveBatch } from './batch.options.js';

const alone = { retryTopics: false, route: false };

describe('resolveBatch', () => {
  it('is off when not set or false', () => {
    expect(resolveBatch('H', undefined, alone)).toBeUndefined();
    expect(resolveBatch('H', false, alone)).toBeUndefined();
  });

  it('takes the defaults for true or {}', () => {
    expect(resolveBatch('H', true, alone)).toEqual({ maxSize: 100, maxWaitMs: 0 });
    expect(resolveBatch('H', {}, alone)).toEqual({ maxSize: 100, maxWaitMs: 0 });
    expect(resolveBatch('H', { maxSize: 5, maxWaitMs: 250 }, alone)).toEqual({ maxSize: 5, maxWaitMs: 250 });
  });

  it('names the option, the value and what is allowed', () => {
    expect(() => resolveBatch('Orders.bill', { maxSize: 0 }, alone)).toThrow(
      /Orders\.bill batch\.maxSize.*integer >= 1/,
    );
    expect(() => resolveBatch('H', { maxWaitMs: -1 }, alone)).toThrow(/H batch\.maxWaitMs/);
    expect(() => resolveBatch('H', { maxsize: 5 }, alone)).toThrow(/H batch\.maxsize.*maxSize, maxWaitMs/);
    expect(() => resolveBatch('H', 10, alone)).toThrow(InvalidOptionsError);
  });

  it('refuses what decides per record: retryTopics, route, a concurrency mode other than partition', () => {
    expect(() => resolveBatch('H', true, { ...alone, retryTopics: true })).toThrow(/no batch with retryTopics/);
    expect(() => resolveBatch('H', true, { ...alone, route: true })).toThrow(/no batch with route/);
    expect(() => resolveBatch('H', true, { ...alone, concurrencyMode: 'key' })).toThrow(/concurrency mode 'key'/);
    expect(resolveBatch('H', true, { ...alone, concurrencyMode: 'partition' })).toEqual({ maxSize: 100, maxWaitMs: 0 });
  });
});

describe('batch in the handler options', () => {
  const module = resolveModuleOptions({ client: { brokers: ['127.0.0.1:9092'] } });

  it('resolves batch with the other handler options', () => {
    expect(resolveHandlerOptions('Orders.bill', { batch: { maxSize: 10 } }, module).batch).toEqual({
      maxSize: 10,
      maxWaitMs: 0,
    });
    expect(resolveHandlerOptions('Orders.bill', {}, module).batch).toBeUndefined();
  });

  it('fails at startup for batch with retryTopics or route, naming the handler', () => {
    expect(() =>
      resolveHandlerOptions('Orders.bill', { batch: true, retryTopics: { delaysMs: [1000] } }, module),
    ).toThrow(/Orders\.bill batch.*no batch with retryTopics/);
    expect(() =>
      resolveHandlerOptions('Orders.bill', { batch: true, route: { header: 'type', value: 'a' } }, module),
    ).toThrow(/Orders\.bill batch.*no batch with route/);
  });
});
