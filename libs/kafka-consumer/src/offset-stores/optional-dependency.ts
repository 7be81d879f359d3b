import { MissingDependencyError } from '../errors/missing-dependency.error.js';

/**
 * Imports an optional peer dependency when a store first needs it, so apps that never use that
 * store need not install it; a missing package becomes a `MissingDependencyError` naming it.
 */
export async function importOptional<T>(load: () => Promise<T>, packageName: string, usedBy: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new MissingDependencyError(packageName, usedBy, error);
    }
    throw error;
  }
}
