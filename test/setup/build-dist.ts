// Builds dist/ with tsup when one of its entry files is missing or older than
// any file under src/ (the CLI tests spawn `node dist/cli.js`; the HDF5 worker
// test runs the bundles). Called by the tests that need dist/ (not a global
// setup: the other suites test src/ and should not pay for a bundle build); a
// lock directory keeps two test files from building at once.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function stale(outputs: string[]): boolean {
  const built = outputs.every(existsSync) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
  const sources = Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'tsup.config.ts')).mtimeMs);
  return built < sources;
}

/** Runs `npx tsup` once if dist/ is stale; returns the path of dist/cli.js. */
export function ensureDist(): string {
  const outputs = ['cli.js', 'index.js', 'index.cjs', 'h5_worker.mjs'].map((f) => join(ROOT, 'dist', f));
  if (!stale(outputs)) return outputs[0];
  const lock = join(ROOT, 'dist.build-lock');
  const until = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > until) throw new Error(`ensureDist: ${lock} is held for over 3 minutes; remove it if no build runs.`);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (stale(outputs)) {
      if (!existsSync(join(ROOT, 'src', 'wasm', 'abi.generated.ts'))) {
        execFileSync('node', ['scripts/build-wasm.mjs'], { cwd: ROOT, stdio: 'pipe' });
      }
      execFileSync('npx', ['tsup'], { cwd: ROOT, stdio: 'pipe' });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return outputs[0];
}
