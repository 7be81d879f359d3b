import { afterEach, describe, expect, it, vi } from 'vitest';
import { DUAL_PACKAGE_WARNING, registerLoadedFormat } from './dual-package.guard.js';

const LOADED_FORMATS = Symbol.for('nestjs-kafka-consumer:loaded-formats');

describe('dual-package guard', () => {
  afterEach(() => {
    delete (globalThis as Record<symbol, unknown>)[LOADED_FORMATS];
    vi.restoreAllMocks();
  });

  it('records this (ES module) copy on load and warns once when the other format loads too', () => {
    expect((globalThis as Record<symbol, Set<string>>)[LOADED_FORMATS]).toEqual(new Set(['esm']));
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    registerLoadedFormat('esm');
    expect(warn).not.toHaveBeenCalled();
    registerLoadedFormat('cjs');
    registerLoadedFormat('cjs');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/both as an ES module \(import\) and as CommonJS \(require\)/);
    expect(warn.mock.calls[0][1]).toEqual({ code: DUAL_PACKAGE_WARNING });
  });
});
