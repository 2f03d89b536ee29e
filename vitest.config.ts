import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'out/**'],
    // Simulated shifts are CPU-bound; generous timeouts keep slow CI machines green.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
