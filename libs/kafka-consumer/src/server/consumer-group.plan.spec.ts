import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { resolveModuleOptions, type ConsumeTopicOptions } from '../kafka-consumer.options.js';
import { handlerDefinition, planGroups, type HandlerDefinition } from './consumer-group.plan.js';

class PostgresStore {
  readonly kind = 'postgres';
}
class RedisStore {
  readonly kind = 'redis';
}

const client = { brokers: ['127.0.0.1:9092'] };
const withDefaultGroup = resolveModuleOptions({ client, consumer: { groupId: 'orders-service' } });
const withoutDefaultGroup = resolveModuleOptions({ client });

function handler(topic: unknown, name: string, options: ConsumeTopicOptions = {}): HandlerDefinition<string> {
  return { topic, name, options, callback: `${name}-callback` };
}

function thrownBy(fn: () => unknown): InvalidOptionsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return error as InvalidOptionsError;
  }
  throw new Error('expected InvalidOptionsError, nothing was thrown');
}

describe('planGroups', () => {
  it('returns no groups for no handlers', () => {
    expect(planGroups([], withDefaultGroup)).toEqual([]);
  });

  it('groups handlers by groupId, keyed by topic, keeping each callback', () => {
    const groups = planGroups(
      [
        handler('orders', 'Billing.bill', { groupId: 'billing' }),
        handler('refunds', 'Billing.refund', { groupId: 'billing' }),
        handler('clicks', 'Analytics.track', { groupId: 'analytics' }),
      ],
      withDefaultGroup,
    );
    expect(groups.map((g) => g.groupId)).toEqual(['billing', 'analytics']);
    expect([...groups[0].handlers.keys()]).toEqual(['orders', 'refunds']);
    expect([...groups[1].handlers.keys()]).toEqual(['clicks']);
    const bill = groups[0].handlers.get('orders');
    expect(bill).toMatchObject({ topic: 'orders', name: 'Billing.bill', callback: 'Billing.bill-callback' });
    expect(bill?.options.groupId).toBe('billing');
  });

  it("puts handlers without a groupId in the module's default group", () => {
    const groups = planGroups(
      [handler('orders', 'Orders.handle'), handler('payments', 'Payments.handle')],
      withDefaultGroup,
    );
    expect(groups).toHaveLength(1);
    expect(groups[0].groupId).toBe('orders-service');
    expect([...groups[0].handlers.keys()]).toEqual(['orders', 'payments']);
  });

  it('allows the same topic in two different groups, each consuming it independently', () => {
    const groups = planGroups(
      [
        handler('orders', 'Billing.bill', { groupId: 'billing' }),
        handler('orders', 'Analytics.track', { groupId: 'analytics' }),
      ],
      withDefaultGroup,
    );
    expect(groups.map((g) => [g.groupId, g.handlers.get('orders')?.name])).toEqual([
      ['billing', 'Billing.bill'],
      ['analytics', 'Analytics.track'],
    ]);
  });

  it('resolves each handler against the module options', () => {
    const [group] = planGroups(
      [handler('orders', 'Orders.handle', { commit: 'manual', retry: false })],
      withDefaultGroup,
    );
    expect(group.handlers.get('orders')?.options).toMatchObject({
      groupId: 'orders-service',
      commit: 'manual',
      retry: false,
      deserializer: 'json',
      deadLetter: false,
    });
  });

  it('throws for two handlers of one topic in one group, naming both handlers', () => {
    const error = thrownBy(() =>
      planGroups(
        [
          handler('orders', 'Billing.bill', { groupId: 'billing' }),
          handler('orders', 'Invoices.create', { groupId: 'billing' }),
        ],
        withDefaultGroup,
      ),
    );
    expect(error.message).toContain('"orders"');
    expect(error.message).toContain('"billing"');
    expect(error.message).toContain('Billing.bill');
    expect(error.message).toContain('Invoices.create');
  });

  it('throws for two handlers of one topic in the default group', () => {
    const error = thrownBy(() =>
      planGroups([handler('orders', 'A.first'), handler('orders', 'B.second')], withDefaultGroup),
    );
    expect(error.message).toMatch(/A\.first and B\.second/);
    expect(error.message).toContain('"orders-service"');
  });

  it('throws when a handler has no groupId and the module has no default, naming topic and handler', () => {
    const error = thrownBy(() => planGroups([handler('orders', 'Orders.handle')], withoutDefaultGroup));
    expect(error.message).toContain("@ConsumeTopic('orders') on Orders.handle has no groupId");
    expect(error.message).toContain('forRoot({ consumer: { groupId } })');
  });

  it('accepts a handler groupId when the module has no default', () => {
    const groups = planGroups([handler('orders', 'Orders.handle', { groupId: 'billing' })], withoutDefaultGroup);
    expect(groups[0].groupId).toBe('billing');
  });

  it.each([
    ['empty', '', '""'],
    ['blank', '  ', '"  "'],
    ['with a space', 'my orders', '"my orders"'],
    ['with a slash', 'orders/eu', '"orders/eu"'],
    ['too long (250 chars)', 'a'.repeat(250), `"${'a'.repeat(250)}"`],
    ['not a string', 42, '42'],
    ['an object pattern', { cmd: 'orders' }, '{"cmd":"orders"}'],
  ])('throws for a topic name that is %s, naming the handler and the rule', (_label, topic, shown) => {
    const error = thrownBy(() => planGroups([handler(topic, 'Orders.handle')], withDefaultGroup));
    expect(error.message).toContain('"Orders.handle topic"');
    expect(error.message).toContain(`is ${shown};`);
    expect(error.message).toContain('1-249 characters of [a-zA-Z0-9._-]');
  });

  it('accepts topic names using every allowed character, up to 249 characters', () => {
    const topics = ['orders.v1_EU-west', 'a'.repeat(249)];
    const [group] = planGroups(
      topics.map((t, i) => handler(t, `H.${i}`)),
      withDefaultGroup,
    );
    expect([...group.handlers.keys()]).toEqual(topics);
  });

  it('carries the offset store of the group', () => {
    const groups = planGroups(
      [
        handler('orders', 'A.one', { groupId: 'g', offsetStore: PostgresStore as never }),
        handler('payments', 'A.two', { groupId: 'g', offsetStore: PostgresStore as never }),
      ],
      withDefaultGroup,
    );
    expect(groups[0].offsetStore).toBe(PostgresStore);
  });

  it('inherits the module offset store for the group', () => {
    const module = resolveModuleOptions({ client, consumer: { groupId: 'g' }, offsetStore: RedisStore });
    expect(planGroups([handler('orders', 'A.one')], module)[0].offsetStore).toBe(RedisStore);
  });

  it('throws when handlers of one group disagree on the offset store, naming both stores', () => {
    const error = thrownBy(() =>
      planGroups(
        [
          handler('orders', 'A.one', { groupId: 'g', offsetStore: PostgresStore as never }),
          handler('payments', 'A.two', { groupId: 'g', offsetStore: RedisStore as never }),
        ],
        withDefaultGroup,
      ),
    );
    expect(error.message).toContain('group "g"');
    expect(error.message).toContain('"offsetStore"');
    expect(error.message).toContain('PostgresStore vs RedisStore');
  });

  it('throws when one handler of a group sets an offset store and another uses the default', () => {
    expect(() =>
      planGroups(
        [
          handler('orders', 'A.one', { groupId: 'g' }),
          handler('payments', 'A.two', { groupId: 'g', offsetStore: RedisStore as never }),
        ],
        withDefaultGroup,
      ),
    ).toThrow(InvalidOptionsError);
  });

  it('allows different offset stores in different groups', () => {
    const groups = planGroups(
      [
        handler('orders', 'A.one', { groupId: 'g1', offsetStore: PostgresStore as never }),
        handler('orders', 'A.two', { groupId: 'g2', offsetStore: RedisStore as never }),
      ],
      withDefaultGroup,
    );
    expect(groups.map((g) => g.offsetStore)).toEqual([PostgresStore, RedisStore]);
  });

  it('reports invalid handler options with the topic and handler name', () => {
    const error = thrownBy(() =>
      planGroups([handler('orders', 'Orders.handle', { commit: 'later' as never })], withDefaultGroup),
    );
    expect(error.message).toContain(`"@ConsumeTopic('orders') on Orders.handle: commit"`);
    expect(error.message).toContain('"later"');
  });
});

describe('handlerDefinition (hybrid apps: Nest hands every transport the handlers that name none)', () => {
  const extras = { kafkaConsumer: true, handlerName: 'Orders.bill', options: { groupId: 'billing' } };

  it('takes a @ConsumeTopic handler with its topic, name and options', () => {
    expect(handlerDefinition({ topic: 'orders', groupId: 'billing' }, 'cb', extras)).toEqual({
      topic: 'orders',
      name: 'Orders.bill',
      options: { groupId: 'billing' },
      callback: 'cb',
    });
  });

  it('marks handlers of other transports foreign, and planGroups leaves them alone', () => {
    const sum = handlerDefinition({ cmd: 'sum' }, 'sum-cb', {});
    const audit = handlerDefinition('audit', 'audit-cb', {});
    expect(sum.foreign).toBe(true);
    expect(audit.foreign).toBe(true);
    const groups = planGroups([sum, audit, handlerDefinition({ topic: 'orders' }, 'cb', extras)], withDefaultGroup);
    expect(groups.map((g) => [g.groupId, [...g.handlers.keys()]])).toEqual([['billing', ['orders']]]);
  });
});
