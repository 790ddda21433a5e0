#!/usr/bin/env node
// Node pre-step of `npm run test:deno`: bundles test-deno/fixture.ts (which
// uses the TypeScript io test writers) with esbuild, the bundler tsup runs on,
// and runs it to write build/deno-fixture/{model.keras, expected.json}.
import { build } from 'esbuild';
import { execSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE_DIR = join(root, 'build', 'deno-fixture');

// The Deno tests import dist/index.js; fixture.ts needs the generated wasm module.
if (!existsSync(join(root, 'dist', 'index.js')) || !existsSync(join(root, 'src', 'wasm', 'abi.generated.ts'))) {
  console.log('dist/ missing: npm run build');
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}

const outfile = join(root, 'node_modules', '.cache', `rnn-wasm-deno-fixture-${process.pid}.mjs`);
await build({
  entryPoints: [join(root, 'test-deno', 'fixture.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  // Resolved from the repo's node_modules at run time (outfile sits inside the repo for that).
  external: ['h5wasm', 'fflate', 'vitest'],
  logLevel: 'error',
});
try {
  const { writeDenoFixture } = await import(pathToFileURL(outfile).href);
  await writeDenoFixture(FIXTURE_DIR);
} finally {
  rmSync(outfile, { force: true });
}
console.log(`wrote ${FIXTURE_DIR}/{model.keras, expected.json}`);
