import { defineConfig } from 'vitest/config';

// `npm run test:fuzz`: the loader fuzzer and the soak run (not part of `npm test`).
// FUZZ_CASES (default 20000), FUZZ_SECONDS (stop early after this long), FUZZ_SEED (default 1),
// FUZZ_SOAK=0 to skip the soak run. CI may run a short seeded slice: FUZZ_CASES=500.
export default defineConfig({
  test: {
    include: ['test-fuzz/**/*.test.ts'],
    testTimeout: 6 * 60 * 60 * 1000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/setup/error_prefix.ts'],
  },
});
