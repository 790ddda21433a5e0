import { defineConfig } from 'vitest/config';

// `npm run test:wild`: real-world Keras files from ../shared/keras-wild.
export default defineConfig({
  test: {
    include: ['test-wild/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
