import { kindOf, redactSecrets } from '../kafka-consumer.redaction.js';
import { errorClassName } from '../retry/error-classification.js';

/**
 * The texts of the `redactError` option. The failure settlement runs a handler's hook once on each
 * error a record fails with and keeps the text here, by error; every log line, failure header and
 * span of the package then writes that text instead of the error's message, also where the hook is
 * not at hand (the dispatcher's line, the health report). Errors without a text print as before.
 */

/** Text to write instead of the message of an error a record failed with. */
export type RedactError = (error: unknown) => string;

/** Written instead of the message when `redactError` throws or returns something other than a string. */
export const REDACT_ERROR_FAILED = '(redactError failed)';

// Kept as long as the error itself. An error object shared by handlers with different hooks keeps its first text.
const textsOfObjects = new WeakMap<object, string>();
// A thrown string or number cannot key a WeakMap: the most recent ones are kept by value.
const textsOfPrimitives = new Map<unknown, string>();
const MAX_PRIMITIVE_TEXTS = 256;
const failedHooks = new WeakSet<RedactError>();

const isObject = (value: unknown): value is object =>
  (typeof value === 'object' && value !== null) || typeof value === 'function';

/**
 * The text `redact` gives for `error`, computed once per error and kept for `redactedMessageOf`.
 * A hook that throws or returns no string yields `REDACT_ERROR_FAILED`; `onHookFailure` then hears
 * what went wrong (the error's class or the value's kind, never a message), once per hook.
 */
export function applyRedactError(
  error: unknown,
  redact: RedactError,
  onHookFailure: (problem: string) => void,
): string {
  const known = isObject(error) ? textsOfObjects.get(error) : textsOfPrimitives.get(error);
  if (known !== undefined) return known;
  const text = runHook(error, redact, (problem) => {
    if (failedHooks.has(redact)) return;
    failedHooks.add(redact);
    onHookFailure(problem);
  });
  if (isObject(error)) textsOfObjects.set(error, text);
  else {
    if (textsOfPrimitives.size >= MAX_PRIMITIVE_TEXTS) textsOfPrimitives.delete(textsOfPrimitives.keys().next().value);
    textsOfPrimitives.set(error, text);
  }
  return text;
}

function runHook(error: unknown, redact: RedactError, failed: (problem: string) => void): string {
  let text: unknown;
  try {
    text = redact(error);
  } catch (hookError) {
    failed(`threw ${errorClassName(hookError)}`);
    return REDACT_ERROR_FAILED;
  }
  if (typeof text === 'string') return text;
  failed(`returned ${kindOf(text)}, not a string`);
  return REDACT_ERROR_FAILED;
}

/**
 * The `redactError` text of `error` with the package's secret redaction on top, or undefined when
 * no hook described it (the message is then written as it is).
 */
export function redactedMessageOf(error: unknown): string | undefined {
  const text = isObject(error) ? textsOfObjects.get(error) : textsOfPrimitives.get(error);
  return text === undefined ? undefined : redactSecrets(text);
}

/**
 * `stack` with its message replaced by `message`: `Name: message`, then only its frame lines
 * (`    at ...`), so no line of the original message survives.
 */
export function stackWithMessage(name: string, stack: string, message: string): string {
  const frames = stack.split('\n').filter((line) => /^\s+at\s/.test(line));
  return [`${name}: ${message}`, ...frames].join('\n');
}
