import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from './errors/invalid-options.error.js';
import { resolveHandlerOptions, resolveModuleOptions } from './kafka-consumer.options.js';

const client = { brokers: ['127.0.0.1:9092'] };
const onSkip = () => undefined;
const where = "@ConsumeTopic('orders') on OrdersController.bill:";

describe('failure policies: refused and exhausted', () => {
  it('default to skipping guard refusals and redelivering exhausted records', () => {
    const module = resolveModuleOptions({ client });
    expect(module).toMatchObject({ refused: 'skip', exhausted: 'redeliver' });
    expect(resolveHandlerOptions(where, {}, module)).toMatchObject({ refused: 'skip', exhausted: 'redeliver' });
  });

  it('take module defaults, and let a handler override them', () => {
    const module = resolveModuleOptions({
      client,
      refused: 'redeliver',
      exhausted: { skipAfterRedeliveries: 3, onSkip },
    });
    expect(module.refused).toBe('redeliver');
    expect(module.exhausted).toEqual({ skipAfterRedeliveries: 3, onSkip });
    expect(resolveHandlerOptions(where, {}, module)).toMatchObject({
      refused: 'redeliver',
      exhausted: { skipAfterRedeliveries: 3, onSkip },
    });
    expect(resolveHandlerOptions(where, { refused: 'dead-letter', exhausted: 'redeliver' }, module)).toMatchObject({
      refused: 'dead-letter',
      exhausted: 'redeliver',
    });
  });

  it.each([
    [{ refused: 'ignore' }, "option \"refused\" is \"ignore\"; allowed: 'skip' | 'dead-letter' | 'redeliver'"],
    [{ exhausted: 'skip' }, 'option "exhausted"'],
    [{ exhausted: {} }, 'option "exhausted.skipAfterRedeliveries"'],
    [{ exhausted: { skipAfterRedeliveries: -1 } }, 'an integer >= 0'],
    [{ exhausted: { skipAfterRedeliveries: 1.5 } }, 'an integer >= 0'],
    [{ exhausted: { skipAfterRedeliveries: 1, onSkip: 'log' } }, 'option "exhausted.onSkip"'],
    [{ exhausted: { skipAfterRedeliveries: 1, onskip: () => undefined } }, 'onskip'],
  ])('fail at startup naming the option: %o', (options, fragment) => {
    expect(() => resolveModuleOptions({ client, ...options })).toThrow(InvalidOptionsError);
    expect(() => resolveModuleOptions({ client, ...options })).toThrow(fragment);
  });

  it('name the handler when its own policy is wrong', () => {
    const module = resolveModuleOptions({ client });
    expect(() =>
      resolveHandlerOptions(where, { exhausted: { skipAfterRedeliveries: 'twice' } } as never, module),
    ).toThrow(`${where} exhausted.skipAfterRedeliveries`);
  });
});
