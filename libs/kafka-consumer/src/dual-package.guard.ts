import { BUILD_FORMAT } from './build-format.js';
import { dualPackageLoaded } from './kafka-consumer.messages.js';

/** Process warning code emitted when both builds of the package are loaded in one process. */
export const DUAL_PACKAGE_WARNING = 'NESTJS_KAFKA_CONSUMER_DUAL_PACKAGE';

const LOADED_FORMATS = Symbol.for('nestjs-kafka-consumer:loaded-formats');

/**
 * The package ships an ES module build and a CommonJS build; an app that imports one and requires
 * the other gets two copies of every class and DI token (the dual-package hazard), and Nest then
 * fails with "can't find KafkaConsumerServer" or runs a module twice. Each build records its
 * format on load; the second format to load emits one process warning naming the cause.
 */
export function registerLoadedFormat(format: 'esm' | 'cjs'): void {
  const registry = globalThis as { [LOADED_FORMATS]?: Set<string> };
  const formats = (registry[LOADED_FORMATS] ??= new Set());
  if (formats.has(format)) return;
  formats.add(format);
  if (formats.size === 2) process.emitWarning(dualPackageLoaded(), { code: DUAL_PACKAGE_WARNING });
}

registerLoadedFormat(BUILD_FORMAT);
