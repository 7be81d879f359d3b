import { describe, expect, it } from 'vitest';
import { MissingDependencyError } from '../errors/missing-dependency.error.js';
import { importOptional } from './optional-dependency.js';

describe('importOptional', () => {
  it('turns a package that is not installed into MissingDependencyError naming it', async () => {
    const error = await importOptional(
      // @ts-expect-error: the point is that this package does not exist
      () => import('nestjs-kafka-consumer-not-installed-peer'),
      'nestjs-kafka-consumer-not-installed-peer',
      'PostgresOffsetStore',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect((error as MissingDependencyError).code).toBe('KAFKA_CONSUMER_MISSING_DEPENDENCY');
    expect((error as Error).message).toBe(
      'PostgresOffsetStore needs the package "nestjs-kafka-consumer-not-installed-peer", which is not installed: ' +
        'run `npm install nestjs-kafka-consumer-not-installed-peer`.',
    );
  });

  it('returns an installed package', async () => {
    const pg = await importOptional(() => import('pg'), 'pg', 'PostgresOffsetStore');
    expect(typeof pg.Pool).toBe('function');
  });

  it('passes other errors through', async () => {
    const boom = new Error('boom');
    await expect(importOptional(() => Promise.reject(boom), 'pg', 'x')).rejects.toBe(boom);
  });
});
