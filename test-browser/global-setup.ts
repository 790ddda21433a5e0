// The browser suites run the built bundle (dist/index.js). CI builds first;
// on a fresh clone without dist/ this builds it once (asc + tsup) so the
// suite can run on its own.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export default function setup(): void {
  if (existsSync(resolve(REPO_ROOT, 'dist/index.js'))) return;
  try {
    execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  } catch (e) {
    throw new Error(`test:browser: dist/index.js is missing and \`npm run build\` failed (${(e as Error).message.split('\n')[0]}); fix the build first.`);
  }
}
