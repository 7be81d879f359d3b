import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { MetadataScanner, type ApplicationConfig, type ModulesContainer } from '@nestjs/core';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants.js';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import type { HandlerCall } from './direct-invocation.js';
import {
  CONTEXT_PARAM,
  leanPathBlockers,
  PAYLOAD_PARAM,
  type HandlerComposition,
  type ParamSource,
} from './lean-path.js';

/** A `@ConsumeTopic` method of a controller instance. */
interface ControllerMethod {
  readonly instance: object;
  readonly method: (...args: unknown[]) => unknown;
  readonly methodKey: string;
  readonly staticTree: boolean;
}

/** The direct call of a handler, or (no `call`) why it runs through Nest's pipeline. */
export interface Composed {
  readonly call?: HandlerCall;
  readonly blockers: readonly string[];
}

/**
 * Reads what Nest puts around each `@ConsumeTopic` handler (interceptors, guards, pipes, filters,
 * global enhancers, parameter decorators) from the same metadata Nest reads, and, when that is
 * only the package's own interceptors (`leanPathBlockers`), returns a direct call of the
 * controller method with the arguments Nest would pass.
 *
 * Global enhancers are read from the application's `ApplicationConfig`; a hybrid app's
 * microservice connected with `inheritAppConfig: false` keeps its own, which a transport cannot
 * see (see README, "Performance").
 */
export class HandlerComposer {
  private methods?: Map<object, ControllerMethod[]>;

  constructor(
    private readonly modules: ModulesContainer,
    private readonly config: ApplicationConfig | undefined,
    private readonly defaultInterceptors: readonly unknown[],
  ) {}

  /** `callback` is the handler Nest gave `addHandler` (it carries the extras and any chained handler). */
  compose(callback: unknown): Composed {
    const { extras, next } = callback as { extras?: object; next?: unknown };
    const found = extras ? (this.controllerMethods().get(extras) ?? []) : [];
    const target = found.length === 1 ? found[0] : undefined;
    const host = target?.instance.constructor;
    const classAndMethod = (key: string): unknown[] => [
      ...((host && (Reflect.getMetadata(key, host) as unknown[] | undefined)) ?? []),
      ...((target && (Reflect.getMetadata(key, target.method) as unknown[] | undefined)) ?? []),
    ];
    const params = target ? paramSources(host!, target.methodKey) : [];
    const composition: HandlerComposition = {
      staticInstance: target?.staticTree === true,
      chained: next !== undefined,
      interceptors: classAndMethod(INTERCEPTORS_METADATA),
      guards: classAndMethod(GUARDS_METADATA).length,
      pipes: classAndMethod(PIPES_METADATA).length,
      filters: classAndMethod(EXCEPTION_FILTERS_METADATA).length,
      globalEnhancers: this.globalEnhancers(),
      params,
    };
    const blockers = leanPathBlockers(composition, this.defaultInterceptors);
    if (blockers.length > 0 || !target) return { blockers };
    return { call: callOf(target, params), blockers };
  }

  private globalEnhancers(): number {
    const config = this.config as
      (ApplicationConfig & { getGlobalPreRequestHooks?: () => unknown[] | undefined }) | undefined;
    if (!config) return 0;
    return (
      config.getGlobalInterceptors().length +
      config.getGlobalGuards().length +
      config.getGlobalPipes().length +
      config.getGlobalFilters().length +
      config.getGlobalRequestInterceptors().length +
      config.getGlobalRequestGuards().length +
      config.getGlobalRequestPipes().length +
      config.getGlobalRequestFilters().length +
      (config.getGlobalPreRequestHooks?.()?.length ?? 0)
    );
  }

  /** Every `@ConsumeTopic` method of every controller instance, by its extras (the object Nest hands `addHandler`). */
  private controllerMethods(): Map<object, ControllerMethod[]> {
    if (this.methods) return this.methods;
    const methods = new Map<object, ControllerMethod[]>();
    const scanner = new MetadataScanner();
    for (const module of this.modules.values()) {
      for (const wrapper of module.controllers.values()) {
        const instance = wrapper.instance as object | undefined;
        if (!instance || !wrapper.metatype) continue;
        const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
        for (const methodKey of scanner.getAllMethodNames(prototype)) {
          const method = prototype[methodKey];
          if (typeof method !== 'function') continue;
          const extras = Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as
            { kafkaConsumer?: unknown } | undefined;
          if (extras?.kafkaConsumer !== true) continue;
          const list = methods.get(extras) ?? [];
          list.push({
            instance,
            method: method as ControllerMethod['method'],
            methodKey,
            staticTree: wrapper.isDependencyTreeStatic(),
          });
          methods.set(extras, list);
        }
      }
    }
    return (this.methods = methods);
  }
}

/** The handler's parameters as Nest's RPC context creator reads them (`@Payload()` alone when undecorated). */
function paramSources(host: object, methodKey: string): ParamSource[] {
  const metadata = (Reflect.getMetadata(ROUTE_ARGS_METADATA, host, methodKey) as
    Record<string, { index: number; data?: unknown; pipes?: unknown[] }> | undefined) ?? {
    [`${PAYLOAD_PARAM}:0`]: { index: 0, data: undefined, pipes: [] },
  };
  return Object.entries(metadata).map(([key, { index, data, pipes }]) => ({
    type: key.includes(CUSTOM_ROUTE_ARGS_METADATA) ? key : Number(key.split(':')[0]),
    index,
    data,
    pipes: pipes ?? [],
  }));
}

function plainPayload(param: ParamSource | undefined, index: number): boolean {
  return param?.type === PAYLOAD_PARAM && param.index === index && !param.data;
}

/** Calls the method with what its `@Payload()` / `@Ctx()` parameters take; the common shapes without an array. */
function callOf({ instance, method }: ControllerMethod, params: readonly ParamSource[]): HandlerCall {
  const sorted = params.toSorted((a, b) => a.index - b.index);
  if (sorted.length === 1 && plainPayload(sorted[0], 0)) return (data) => method.call(instance, data);
  if (sorted.length === 2 && plainPayload(sorted[0], 0) && sorted[1].type === CONTEXT_PARAM && sorted[1].index === 1) {
    return (data, ctx) => method.call(instance, data, ctx);
  }
  const length = sorted.length > 0 ? sorted[sorted.length - 1].index + 1 : 0;
  const extractors = sorted.map(({ type, index, data }) => ({
    index,
    value:
      type === CONTEXT_PARAM
        ? (_data: unknown, ctx: KafkaConsumerContext) => ctx
        : data
          ? (payload: unknown) => (payload as Record<string, unknown> | null | undefined)?.[data as string]
          : (payload: unknown) => payload,
  }));
  return (data, ctx) => {
    const args = Array.from<unknown>({ length });
    for (const { index, value } of extractors) args[index] = value(data, ctx);
    return method.apply(instance, args);
  };
}
