/**
 * Whether a `@ConsumeTopic` handler may skip Nest's per-record pipeline: only when that pipeline
 * would hold nothing but the package's own interceptors, so that calling the method directly,
 * with retry and the failure policy as plain code, behaves the same. Free of Nest: the findings
 * are read from Nest's metadata by `handler-composition.ts`.
 */

/** Where a parameter's value comes from, as the handler's parameter decorators declared it. */
export interface ParamSource {
  /** Nest's `RpcParamtype` (3 payload, 6 context) or a custom decorator's key. */
  readonly type: number | string;
  readonly index: number;
  /** `@Payload('field')`: the property of the payload. */
  readonly data?: unknown;
  /** Pipes of this parameter (`@Payload(SomePipe)`). */
  readonly pipes: readonly unknown[];
}

/** What Nest would put around one handler, as found in its metadata and the application config. */
export interface HandlerComposition {
  /** The controller instance was found once, and its dependency tree is static (not request-scoped). */
  readonly staticInstance: boolean;
  /** Nest chained another handler of the same pattern to this one. */
  readonly chained: boolean;
  /** Interceptors of the class, then of the method, as declared. */
  readonly interceptors: readonly unknown[];
  readonly guards: number;
  readonly pipes: number;
  readonly filters: number;
  /** Global interceptors, guards, pipes and filters (`useGlobal*`, `APP_*` providers), and pre-request hooks. */
  readonly globalEnhancers: number;
  readonly params: readonly ParamSource[];
}

export const PAYLOAD_PARAM = 3;
export const CONTEXT_PARAM = 6;

/**
 * Why the handler needs Nest's pipeline; empty when its pipeline is the default stack
 * (`defaultInterceptors`, in that order, and nothing else) and it may be called directly.
 */
export function leanPathBlockers(found: HandlerComposition, defaultInterceptors: readonly unknown[]): string[] {
  const blockers: string[] = [];
  if (!found.staticInstance) blockers.push('its controller is request-scoped or not found once');
  if (found.chained) blockers.push('another handler shares its pattern');
  const sameStack =
    found.interceptors.length === defaultInterceptors.length &&
    found.interceptors.every((interceptor, i) => interceptor === defaultInterceptors[i]);
  if (!sameStack) blockers.push('interceptors of its own');
  if (found.guards > 0) blockers.push('guards');
  if (found.pipes > 0) blockers.push('pipes');
  if (found.filters > 0) blockers.push('exception filters');
  if (found.globalEnhancers > 0) blockers.push('global enhancers');
  for (const param of found.params) {
    if (param.type !== PAYLOAD_PARAM && param.type !== CONTEXT_PARAM) blockers.push('a custom parameter decorator');
    else if (param.pipes.length > 0) blockers.push('parameter pipes');
  }
  return blockers;
}
