import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { resolveHandlerOptions, resolveModuleOptions } from '../kafka-consumer.options.js';

const client = { brokers: ['127.0.0.1:9092'] };
const moduleHook = () => 'module text';
const handlerHook = () => 'handler text';

describe('redactError option', () => {
  it('is unset by default, at module and handler level', () => {
    const module = resolveModuleOptions({ client });
    expect(module.redactError).toBeUndefined();
    expect(resolveHandlerOptions('A.b', {}, module).redactError).toBeUndefined();
  });

  it("is a module option that handlers inherit, and a handler's own hook wins", () => {
    const module = resolveModuleOptions({ client, redactError: moduleHook });
    expect(module.redactError).toBe(moduleHook);
    expect(resolveHandlerOptions('A.b', {}, module).redactError).toBe(moduleHook);
    expect(resolveHandlerOptions('A.b', { redactError: handlerHook }, module).redactError).toBe(handlerHook);
  });

  it('is a handler option without a module one', () => {
    const module = resolveModuleOptions({ client });
    expect(resolveHandlerOptions('A.b', { redactError: handlerHook }, module).redactError).toBe(handlerHook);
  });

  it('rejects a value that is not a function, naming the option and the handler', () => {
    expect(() => resolveModuleOptions({ client, redactError: 'mask' })).toThrow(InvalidOptionsError);
    expect(() => resolveModuleOptions({ client, redactError: 'mask' })).toThrow(
      'option "redactError" is "mask"; allowed: a function (error) => string.',
    );
    const module = resolveModuleOptions({ client });
    expect(() => resolveHandlerOptions('A.b', { redactError: true } as never, module)).toThrow(
      'option "A.b redactError" is true; allowed: a function (error) => string.',
    );
  });
});
