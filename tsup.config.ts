import { defineConfig } from 'tsup';

// dist/: ESM + CJS + .d.ts. The wasm binaries are inlined as base64 in
// src/wasm/binary.generated.ts (written by scripts/build-wasm.mjs), so the
// bundle has one loading path for Node, browsers and Deno.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
});
