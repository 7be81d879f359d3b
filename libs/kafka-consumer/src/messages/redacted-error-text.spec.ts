import { describe, expect, it, vi } from 'vitest';
import { describeError } from './message-parts.js';
import {
  applyRedactError,
  REDACT_ERROR_FAILED,
  redactedMessageOf,
  stackWithMessage,
  type RedactError,
} from './redacted-error-text.js';

const TOKEN = 'tok-5f2a9c';
const hideTokens: RedactError = (error) =>
  (error instanceof Error ? error.message : String(error)).replace(TOKEN, '***');

describe('applyRedactError', () => {
  it('writes the hook text instead of the message in describeError, keeping the error name', () => {
    const error = new TypeError(`upstream refused bearer ${TOKEN}`);
    expect(describeError(error)).toContain(TOKEN);
    expect(applyRedactError(error, hideTokens, () => undefined)).toBe('upstream refused bearer ***');
    expect(describeError(error)).toBe('TypeError: upstream refused bearer ***');
    expect(redactedMessageOf(error)).toBe('upstream refused bearer ***');
  });

  it('runs the hook once per error and gives later calls the kept text', () => {
    const hook = vi.fn(hideTokens);
    const error = new Error(`a ${TOKEN}`);
    applyRedactError(error, hook, () => undefined);
    applyRedactError(error, hook, () => undefined);
    expect(hook).toHaveBeenCalledTimes(1);
    expect(redactedMessageOf(error)).toBe('a ***');
  });

  it('leaves errors no hook described as they were', () => {
    const error = new Error(`plain ${TOKEN}`);
    expect(redactedMessageOf(error)).toBeUndefined();
    expect(describeError(error)).toBe(`Error: plain ${TOKEN}`);
  });

  it("applies the package's secret redaction on top of the hook's text", () => {
    const error = new Error('x');
    applyRedactError(
      error,
      () => 'login failed, password=hunter2 at postgres://u:pw@db:5432/app',
      () => undefined,
    );
    expect(redactedMessageOf(error)).toBe('login failed, password=(redacted) at postgres://db:5432/app');
    expect(describeError(error)).toBe('Error: login failed, password=(redacted) at postgres://db:5432/app');
  });

  it('describes thrown strings and plain objects too', () => {
    const thrown = `session ${TOKEN} expired`;
    applyRedactError(thrown, hideTokens, () => undefined);
    expect(describeError(thrown)).toBe('session *** expired');
    const shaped = { message: `code 7, ${TOKEN}` };
    applyRedactError(
      shaped,
      () => 'code 7',
      () => undefined,
    );
    expect(describeError(shaped)).toBe('code 7');
  });

  it('writes "(redactError failed)" when the hook throws, and reports the class of its error, once per hook', () => {
    const problems: string[] = [];
    const broken: RedactError = () => {
      throw new RangeError(`cannot parse ${TOKEN}`);
    };
    const first = new Error(`one ${TOKEN}`);
    const second = new Error(`two ${TOKEN}`);
    expect(applyRedactError(first, broken, (p) => problems.push(p))).toBe(REDACT_ERROR_FAILED);
    expect(applyRedactError(second, broken, (p) => problems.push(p))).toBe(REDACT_ERROR_FAILED);
    expect(describeError(second)).toBe('Error: (redactError failed)');
    expect(problems).toEqual(['threw RangeError']);
  });

  it('writes "(redactError failed)" when the hook returns no string, naming the kind it returned', () => {
    const problems: string[] = [];
    const returnsNothing = (() => undefined) as unknown as RedactError;
    const returnsPromise = (async () => 'late') as unknown as RedactError;
    expect(applyRedactError(new Error(TOKEN), returnsNothing, (p) => problems.push(p))).toBe(REDACT_ERROR_FAILED);
    expect(applyRedactError(new Error(TOKEN), returnsPromise, (p) => problems.push(p))).toBe(REDACT_ERROR_FAILED);
    expect(problems).toEqual(['returned undefined, not a string', 'returned Promise instance, not a string']);
  });

  it('keeps the texts of a bounded number of thrown primitives', () => {
    const hook = vi.fn(() => 'hidden');
    applyRedactError('first-thrown', hook, () => undefined);
    for (let i = 0; i < 300; i++) applyRedactError(`thrown ${i}`, hook, () => undefined);
    expect(redactedMessageOf('thrown 299')).toBe('hidden');
    expect(redactedMessageOf('first-thrown')).toBeUndefined();
  });
});

describe('stackWithMessage', () => {
  it('keeps the frames and replaces every line of the message', () => {
    const stack = `Error: first line ${TOKEN}\nsecond line ${TOKEN}\n    at bill (orders.ts:10:11)\n    at run (node:internal:1:1)`;
    expect(stackWithMessage('Error', stack, 'card ***')).toBe(
      'Error: card ***\n    at bill (orders.ts:10:11)\n    at run (node:internal:1:1)',
    );
  });

  it('gives only the name and text for a stack without frames', () => {
    expect(stackWithMessage('Error', `Error: ${TOKEN}`, 'hidden')).toBe('Error: hidden');
  });
});
