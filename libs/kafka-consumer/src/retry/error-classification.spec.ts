import { BadRequestException, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { DeserializationError } from '../errors/deserialization.error.js';
import { NonRetriableError } from '../errors/non-retriable.error.js';
import { errorClassName, isInputError, isRetriable } from './error-classification.js';

class PaymentDeclinedError extends Error {}
class CardExpiredError extends PaymentDeclinedError {}

describe('isRetriable', () => {
  it('retries ordinary errors and thrown non-errors', () => {
    expect(isRetriable(new Error('timeout'))).toBe(true);
    expect(isRetriable(new TypeError('x is undefined'))).toBe(true);
    expect(isRetriable('a string')).toBe(true);
    expect(isRetriable(undefined)).toBe(true);
  });

  it('never retries NonRetriableError or DeserializationError', () => {
    expect(isRetriable(new NonRetriableError('cancelled'))).toBe(false);
    expect(isRetriable(new DeserializationError('bad json', 't', 0, '1'))).toBe(false);
  });

  it('never retries pipe failures (400 and 422), but retries other HTTP exceptions', () => {
    expect(isRetriable(new BadRequestException(['id must be an integer']))).toBe(false);
    expect(isRetriable(new UnprocessableEntityException())).toBe(false);
    expect(isRetriable(new NotFoundException())).toBe(true);
  });

  it('skips the configured classes and their subclasses only', () => {
    expect(isRetriable(new PaymentDeclinedError(), [PaymentDeclinedError])).toBe(false);
    expect(isRetriable(new CardExpiredError(), [PaymentDeclinedError])).toBe(false);
    expect(isRetriable(new PaymentDeclinedError(), [CardExpiredError])).toBe(true);
    expect(isRetriable(new Error(), [PaymentDeclinedError])).toBe(true);
  });
});

describe('isInputError', () => {
  it('is false for objects whose getStatus is missing, not a function or throws', () => {
    expect(isInputError({ getStatus: 400 })).toBe(false);
    expect(isInputError({ getStatus: () => 400 })).toBe(true);
    expect(
      isInputError({
        getStatus: () => {
          throw new Error('no');
        },
      }),
    ).toBe(false);
    expect(isInputError(null)).toBe(false);
  });
});

describe('errorClassName', () => {
  it('names the class of an error', () => {
    expect(errorClassName(new CardExpiredError())).toBe('CardExpiredError');
    expect(errorClassName(new NonRetriableError('x'))).toBe('NonRetriableError');
    expect(errorClassName(new BadRequestException())).toBe('BadRequestException');
    expect(errorClassName(new SyntaxError('x'))).toBe('SyntaxError');
  });

  it('falls back to name, then to the type of non-objects', () => {
    expect(errorClassName({ name: 'RemoteError', message: 'x' })).toBe('RemoteError');
    expect(errorClassName({ message: 'x' })).toBe('Object');
    expect(errorClassName(Object.create(null))).toBe('Object');
    expect(errorClassName('boom')).toBe('string');
    expect(errorClassName(42)).toBe('number');
    expect(errorClassName(null)).toBe('null');
    expect(errorClassName(undefined)).toBe('undefined');
  });
});
