import { fail, isPlainObject, oneOf } from './option-readers.js';

// Routing: several handlers of one topic in one group ---------------------------------

/**
 * Which records of its topic a handler takes when several handlers of one group consume it:
 * those whose `header` has (one of) `value`, or whose deserialized value is an instance of
 * `payloadType`. A handler of that topic without `route` receives the records no route takes.
 */
export type RouteOption =
  { header: string; value: string | string[] } | { payloadType: abstract new (...args: never[]) => unknown };

/**
 * What happens to a record of a routed topic that no route takes and no handler without `route`
 * receives: `'skip'` commits it with a warning naming its offset and header; `'dead-letter'`
 * writes it to the dead-letter topic (`UnroutedRecordError`; needs `deadLetter`).
 */
export type UnroutedPolicy = 'skip' | 'dead-letter';

export type ResolvedRoute =
  | { readonly kind: 'header'; readonly header: string; readonly values: readonly string[] }
  | { readonly kind: 'payloadType'; readonly type: abstract new (...args: never[]) => unknown };

/** Routing options of one handler. */
export interface RoutingOptions {
  /** Route: this handler takes only matching records of the topic. Default: every record (or what no route takes). */
  route?: RouteOption;
  /** Routed topics: what happens to a record no handler takes. Default `'skip'` (committed, logged). */
  unrouted?: UnroutedPolicy;
}

export interface ResolvedRouting {
  route?: ResolvedRoute;
  /** Set on routed handlers. */
  unrouted?: UnroutedPolicy;
}

const UNROUTED_POLICIES: readonly UnroutedPolicy[] = ['skip', 'dead-letter'];
const ROUTE_ALLOWED = '{ header: string, value: string | string[] } | { payloadType: a class }';

export function resolveRouting(where: string, options: Record<string, unknown>): ResolvedRouting {
  const raw = options.route;
  const unrouted = oneOf(`${where} unrouted`, options.unrouted, UNROUTED_POLICIES, 'skip');
  if (raw === undefined) return options.unrouted === undefined ? {} : { unrouted };
  if (!isPlainObject(raw)) return fail(`${where} route`, raw, ROUTE_ALLOWED);
  if (raw.payloadType !== undefined) {
    if (typeof raw.payloadType !== 'function' || raw.header !== undefined) {
      fail(`${where} route`, raw, ROUTE_ALLOWED);
    }
    return {
      route: { kind: 'payloadType', type: raw.payloadType as abstract new (...args: never[]) => unknown },
      unrouted,
    };
  }
  const values = Array.isArray(raw.value) ? raw.value : [raw.value];
  if (typeof raw.header !== 'string' || raw.header === '') fail(`${where} route.header`, raw.header, 'a header name');
  if (values.length === 0 || values.some((v) => typeof v !== 'string')) {
    fail(`${where} route.value`, raw.value, 'a string or a non-empty array of strings');
  }
  return { route: { kind: 'header', header: raw.header as string, values: values as string[] }, unrouted };
}
