// Builds dist/ with tsup when dist/cli.js or dist/index.js is missing or older
// than any file under src/ (the CLI tests spawn `node dist/cli.js`). Called by
// the tests that need dist/ (not a global setup: the other suites test src/ and
// should not pay for, or race with, a bundle build).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

/** Runs `npx tsup` once if dist/ is stale; returns the path of dist/cli.js. */
export function ensureDist(): string {
  const outputs = ['cli.js', 'index.js'].map((f) => join(ROOT, 'dist', f));
  const built = outputs.every(existsSync) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
  const sources = Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'tsup.config.ts')).mtimeMs);
  if (built < sources) {
    if (!existsSync(join(ROOT, 'src', 'wasm', 'binary.generated.ts'))) {
      execFileSync('node', ['scripts/build-wasm.mjs'], { cwd: ROOT, stdio: 'pipe' });
    }
    execFileSync('npx', ['tsup'], { cwd: ROOT, stdio: 'pipe' });
  }
  return outputs[0];
}
