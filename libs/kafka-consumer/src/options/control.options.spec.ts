import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { resolveHandlerOptions, resolveModuleOptions, type ConsumeTopicOptions } from '../kafka-consumer.options.js';
import { planGroups } from '../server/consumer-group.plan.js';

const module = resolveModuleOptions({ client: { brokers: ['127.0.0.1:9092'] } });
const handler = (topic: string, name: string, options: ConsumeTopicOptions) => ({
  topic,
  name,
  options,
  callback: name,
});

describe('autoStartup', () => {
  it('defaults to true', () => {
    expect(resolveHandlerOptions('h', { groupId: 'g' }, module).autoStartup).toBe(true);
  });

  it('rejects a value that is not a boolean, naming the handler', () => {
    expect(() => resolveHandlerOptions('Orders.handle:', { groupId: 'g', autoStartup: 'no' as never }, module)).toThrow(
      /Orders\.handle: autoStartup/,
    );
  });

  it('is a group setting: planned per group', () => {
    const [lazy, eager] = planGroups(
      [handler('a', 'A.a', { groupId: 'lazy', autoStartup: false }), handler('b', 'B.b', { groupId: 'eager' })],
      module,
    );
    expect(lazy).toMatchObject({ groupId: 'lazy', autoStartup: false });
    expect(eager).toMatchObject({ groupId: 'eager', autoStartup: true });
  });

  it('must be the same for every handler of a group', () => {
    expect(() =>
      planGroups(
        [handler('a', 'A.a', { groupId: 'g', autoStartup: false }), handler('b', 'B.b', { groupId: 'g' })],
        module,
      ),
    ).toThrow(InvalidOptionsError);
    expect(() =>
      planGroups(
        [handler('a', 'A.a', { groupId: 'g', autoStartup: false }), handler('b', 'B.b', { groupId: 'g' })],
        module,
      ),
    ).toThrow(/disagree on "autoStartup"/);
  });
});
