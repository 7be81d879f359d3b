import type { RedactError } from '../messages/redacted-error-text.js';
import { fail } from './option-readers.js';

// What the package writes about an error a record failed with ----

export type { RedactError } from '../messages/redacted-error-text.js';

/** The `redactError` option: of the module (the default of every handler) and of one handler. */
export interface ErrorRedactionOptions {
  /**
   * Text written instead of the message of an error a record failed with (handler, pipe, guard or
   * deserializer): in the `kafka_dlt-exception-message` header (and the stack-trace header), in log
   * lines, the health report and spans. The package's secret redaction still applies on top. When
   * it throws or returns no string, `'(redactError failed)'` is written and one error is logged.
   * Default: none, the message as thrown (handler option default: the module's).
   */
  redactError?: RedactError;
}

export interface ResolvedErrorRedaction {
  /** Undefined when no hook is set. */
  redactError?: RedactError;
}

/** Validates `redactError` (module: `path` 'redactError'; handler: `'Class.method redactError'`). */
export function resolveErrorRedaction(path: string, value: unknown, fallback?: RedactError): ResolvedErrorRedaction {
  if (value === undefined) return fallback ? { redactError: fallback } : {};
  if (typeof value !== 'function') return fail(path, value, 'a function (error) => string');
  return { redactError: value as RedactError };
}
