import { defineConfig } from 'tsup';

// dist/: ESM + CJS + .d.ts. The wasm binaries are inlined as base64 in
// src/wasm/*_binary.generated.ts (written by scripts/build-wasm.mjs), so the
// bundle has one loading path for Node, browsers and Deno. The SIMD core build
// is imported statically; the scalar core build, the training kernels and the
// training loop are behind import(), so the ESM build emits them as lazily
// loaded chunks (dist/<name>-<hash>.js); the CJS build inlines them.
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
  // Reached only in Node (the HDF5 worker's host, src/io/h5.ts).
  external: ['node:worker_threads'],
};

export default defineConfig([
  // clean keeps the CLI and worker files, which the other builds write at the same time.
  { ...library, entry: { index: 'src/index.ts' }, dts: true, clean: ['!cli.js', '!cli.js.map', '!h5_worker.mjs', '!h5_worker.mjs.map'] },
  // The HDF5 worker (src/io/h5.ts starts it from beside the bundle): ESM for Node
  // worker_threads and module Web Workers, h5wasm left to the package resolution.
  {
    entry: { h5_worker: 'src/io/h5_worker.mjs' },
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    treeshake: true,
    removeNodeProtocol: false,
    external: ['h5wasm', 'node:worker_threads'],
  },
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
