import { defineConfig } from 'tsup';

// dist/: ESM + CJS + .d.ts. The wasm binaries are inlined as base64 in
// src/wasm/binary.generated.ts (written by scripts/build-wasm.mjs), so the
// bundle has one loading path for Node, browsers and Deno.
//
// removeNodeProtocol: false keeps `import('node:fs/promises')` (src/io/index.ts,
// reached only for path sources) spelled with its `node:` prefix: browser
// bundlers (Vite, webpack 5) treat `node:` specifiers as externals/built-ins
// instead of trying to resolve an `fs` package, and Node and Deno both accept it.
const library = {
  format: ['esm', 'cjs'] as ('esm' | 'cjs')[],
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral' as const,
  treeshake: true,
  removeNodeProtocol: false,
};

export default defineConfig([
  // clean keeps the CLI files, which the second build writes at the same time.
  { ...library, entry: { index: 'src/index.ts' }, dts: true, clean: ['!cli.js', '!cli.js.map'] },
  // The command line (`npx rnn-wasm ...`): Node only, ESM, with the shebang for the `bin` field.
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node18',
    platform: 'node',
    treeshake: true,
    removeNodeProtocol: false,
    banner: { js: '#!/usr/bin/env node' },
    // fflate and h5wasm stay external (runtime dependencies, imported lazily), and
    // src/cli.ts's `./index` import is left as `./index.js`: the CLI reuses the
    // library bundle instead of inlining a second copy of the wasm binaries.
    external: ['fflate', 'h5wasm'],
    esbuildPlugins: [
      {
        name: 'cli-imports-dist-index',
        setup(build) {
          build.onResolve({ filter: /^\.\/index$/ }, (args) =>
            /[\\/]src[\\/]cli\.ts$/.test(args.importer) ? { path: './index.js', external: true } : undefined,
          );
        },
      },
    ],
  },
]);
