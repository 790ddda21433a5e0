import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the built bundle in real headless Chromium (Debian's
// /usr/bin/chromium via playwright-core): main thread, Web Worker, the
// README's browser snippets, and the scalar build with SIMD off in V8.
// Kept out of `npm test` so a fresh clone needs no browser.
export default defineConfig({
  test: {
    include: ['test-browser/**/*.test.ts'],
    globalSetup: ['test-browser/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
