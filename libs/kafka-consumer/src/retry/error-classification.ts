import { DeserializationError } from '../errors/deserialization.error.js';
import { NonRetriableError } from '../errors/non-retriable.error.js';

/** An error class, as given in `retry.nonRetriable`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** HTTP statuses that Nest's pipes throw for bad input (ValidationPipe, ParseIntPipe, ...). */
const INPUT_ERROR_STATUSES = new Set([400, 422]);

/**
 * True for a pipe failure: Nest's pipes throw `BadRequestException` (400), or 422 when configured.
 * Duck-typed on `getStatus()` so this file needs no Nest import.
 */
export function isInputError(error: unknown): boolean {
  const getStatus = (error as { getStatus?: unknown } | null)?.getStatus;
  if (typeof getStatus !== 'function') return false;
  try {
    return INPUT_ERROR_STATUSES.has(getStatus.call(error) as number);
  } catch {
    return false;
  }
}

/**
 * Whether another attempt could succeed. Not for `NonRetriableError`, `DeserializationError`,
 * pipe failures (the same input fails the same way) and the configured `nonRetriable` classes.
 */
export function isRetriable(error: unknown, nonRetriable: readonly ErrorClass[] = []): boolean {
  if (error instanceof NonRetriableError || error instanceof DeserializationError) return false;
  if (isInputError(error)) return false;
  return !nonRetriable.some((type) => error instanceof type);
}

/** The class name of an error (the closest JavaScript has to Java's fully qualified class name). */
export function errorClassName(error: unknown): string {
  if (error === null || error === undefined) return String(error);
  if (typeof error !== 'object') return typeof error;
  const constructorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object') {
    return constructorName;
  }
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : 'Object';
}
