import { defineConfig } from 'vitest/config';
import { packageAlias } from './vitest.shared.js';

// Unit tests: pure logic, no broker.
export default defineConfig({
  resolve: { alias: packageAlias },
  test: {
    include: ['libs/**/*.spec.ts', 'test/unit/**/*.spec.ts', 'sample-app/**/*.spec.ts'],
    environment: 'node',
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/unit.json' },
  },
});
