import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { ResolvedRoute } from '../kafka-consumer.options.js';
import { buildRouter, type RouteEntry } from './handler-routes.js';

const header = (name: string, ...values: string[]): ResolvedRoute => ({ kind: 'header', header: name, values });
const entry = (name: string, route?: ResolvedRoute, unrouted: 'skip' | 'dead-letter' = 'skip'): RouteEntry<string> => ({
  handler: name,
  name,
  route,
  unrouted: route ? unrouted : undefined,
});
class Created {}
class Shipped {}
class SpecialCreated extends Created {}

describe('buildRouter', () => {
  it('picks by header value, falls back to the handler without route, else none', () => {
    const router = buildRouter('orders', 'g', [
      entry('a', header('type', 'created')),
      entry('b', header('type', 'x', 'y')),
    ]);
    expect(router.header).toBe('type');
    expect(router.select('created', null)).toBe('a');
    expect(router.select('y', null)).toBe('b');
    expect(router.select('z', null)).toBeUndefined();
    expect(router.select(undefined, null)).toBeUndefined();
    const withFallback = buildRouter('orders', 'g', [entry('a', header('type', 'created')), entry('rest')]);
    expect(withFallback.select('z', null)).toBe('rest');
    expect(withFallback.handlers).toEqual(['rest', 'a']);
  });

  it('picks by payload type', () => {
    const router = buildRouter('orders', 'g', [
      entry('c', { kind: 'payloadType', type: Created }),
      entry('s', { kind: 'payloadType', type: Shipped }),
    ]);
    expect(router.header).toBeUndefined();
    expect(router.select(undefined, new Shipped())).toBe('s');
    expect(router.select(undefined, new SpecialCreated())).toBe('c');
    expect(router.select(undefined, { id: 1 })).toBeUndefined();
  });

  it('rejects conflicts naming both handlers', () => {
    const conflict = (entries: RouteEntry<string>[]) => () => buildRouter('orders', 'g', entries);
    expect(conflict([entry('a', header('type', 'x')), entry('b', header('type', 'x'))])).toThrow(
      'Handlers a and b of topic "orders" in group "g" have conflicting routes: both take type="x"',
    );
    expect(conflict([entry('a', header('type', 'x')), entry('b', header('kind', 'y'))])).toThrow(/different headers/);
    expect(conflict([entry('a', header('type', 'x')), entry('b', { kind: 'payloadType', type: Created })])).toThrow(
      /one routes by header, the other by payload type/,
    );
    expect(
      conflict([
        entry('a', { kind: 'payloadType', type: Created }),
        entry('b', { kind: 'payloadType', type: SpecialCreated }),
      ]),
    ).toThrow(/SpecialCreated payload would match both/);
    expect(conflict([entry('a', header('type', 'x'), 'skip'), entry('b', header('type', 'y'), 'dead-letter')])).toThrow(
      /disagree on unrouted/,
    );
    expect(conflict([entry('a'), entry('b'), entry('c', header('type', 'x'))])).toThrow(InvalidOptionsError);
  });
});
