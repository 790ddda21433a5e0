import { defineConfig } from 'vitest/config';

// `npm run test:pkg`: packs the package, installs the tarball into a temporary
// project and runs the README's Node snippets, tsc, publint and attw against it.
export default defineConfig({
  test: {
    include: ['test-pkg/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
