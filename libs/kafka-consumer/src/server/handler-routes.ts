import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { conflictingRoutes } from '../kafka-consumer.messages.js';
import type { ResolvedRoute, UnroutedPolicy } from '../kafka-consumer.options.js';

/** A handler of a routed topic, with its route (none: it takes what no route takes). */
export interface RouteEntry<H> {
  readonly handler: H;
  readonly name: string;
  readonly route?: ResolvedRoute;
  readonly unrouted?: UnroutedPolicy;
}

/** Picks the handler of each record of one topic in one group. Pure: no Nest, no kafkajs. */
export interface HandlerRouter<H> {
  /** `header` is the header routes read (undefined for payload-type routes). */
  readonly header: string | undefined;
  readonly unrouted: UnroutedPolicy;
  /** Every handler of the topic, the fallback (if any) first. */
  readonly handlers: readonly H[];
  /** The handler of a record, from the value of `header` or its deserialized value; undefined when none. */
  select(headerValue: string | undefined, data: unknown): H | undefined;
}

/**
 * Builds the router of one topic in one group. Throws `InvalidOptionsError` when routes conflict:
 * two handlers without a route, routes on different headers or of both kinds, one header value or
 * payload type (or a subclass of it) taken twice, or handlers that disagree on `unrouted`.
 */
export function buildRouter<H>(topic: string, groupId: string, entries: readonly RouteEntry<H>[]): HandlerRouter<H> {
  const conflict = (first: RouteEntry<H>, second: RouteEntry<H>, why: string): never => {
    throw new InvalidOptionsError(conflictingRoutes(topic, groupId, first.name, second.name, why));
  };
  const fallbacks = entries.filter((e) => !e.route);
  if (fallbacks.length > 1)
    conflict(fallbacks[0], fallbacks[1], 'neither has a route: only one handler may take the records no route takes');
  const routed = entries.filter((e) => e.route);
  const first = routed[0];
  for (const entry of routed) {
    if (entry.route!.kind !== first.route!.kind)
      conflict(first, entry, 'one routes by header, the other by payload type; a topic routes one way');
    if (entry.unrouted !== first.unrouted)
      conflict(first, entry, `they disagree on unrouted ('${first.unrouted}' vs '${entry.unrouted}')`);
  }
  const fallback = fallbacks[0]?.handler;
  const unrouted = first?.unrouted ?? 'skip';
  const handlers = [...fallbacks, ...routed].map((e) => e.handler);
  if (first?.route?.kind === 'header') {
    const header = first.route.header;
    const byValue = new Map<string, RouteEntry<H>>();
    for (const entry of routed) {
      const route = entry.route as Extract<ResolvedRoute, { kind: 'header' }>;
      if (route.header !== header)
        conflict(first, entry, `they route on different headers ("${header}" vs "${route.header}")`);
      for (const value of route.values) {
        const taken = byValue.get(value);
        if (taken) conflict(taken, entry, `both take ${header}="${value}"`);
        byValue.set(value, entry);
      }
    }
    const table = new Map([...byValue].map(([value, entry]) => [value, entry.handler]));
    return {
      header,
      unrouted,
      handlers,
      select: (headerValue) => (headerValue === undefined ? undefined : table.get(headerValue)) ?? fallback,
    };
  }
  const types = routed.map((entry) => ({
    entry,
    type: (entry.route as Extract<ResolvedRoute, { kind: 'payloadType' }>).type,
  }));
  for (const a of types) {
    for (const b of types) {
      if (a !== b && (a.type === b.type || a.type.prototype instanceof b.type)) {
        conflict(b.entry, a.entry, `a ${a.type.name} payload would match both (${a.type.name} vs ${b.type.name})`);
      }
    }
  }
  return {
    header: undefined,
    unrouted,
    handlers,
    select: (_headerValue, data) => types.find(({ type }) => data instanceof type)?.entry.handler ?? fallback,
  };
}
