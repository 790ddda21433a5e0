import { defineConfig } from 'vitest/config';

// (func (result v128) v128.const 0 ×3 f32x4.relaxed_madd): relaxed SIMD is on by default from
// Node 22; on older Node the test workers get V8's flag so test/relaxed.test.ts can run the
// relaxed-SIMD build (init({ simd: 'relaxed' })). The other builds do not use it.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array<number>(16).fill(0)]), 253, 133, 2, 11,
]);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every error message built while a test file runs must not repeat its prefix (issue #11).
    setupFiles: ['test/setup/error_prefix.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    execArgv: WebAssembly.validate(RELAXED_PROBE) ? [] : ['--experimental-wasm-relaxed-simd'],
  },
});
