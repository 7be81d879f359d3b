import { defineConfig } from 'vitest/config';
import { packageAlias } from './vitest.shared.js';

// End-to-end tests against a real Kafka broker that the global setup provisions and starts.
export default defineConfig({
  resolve: { alias: packageAlias },
  test: {
    include: ['test/**/*.e2e-spec.ts'],
    environment: 'node',
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/e2e.json' },
  },
});
