// The README's "Runtimes" snippets are the files in examples/runtimes/ that
// the package, Deno and browser suites run; this keeps the two identical.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const dir = join(root, 'examples', 'runtimes');
const snippets = readdirSync(dir).sort();

describe('README Runtimes section', () => {
  it('has the snippets of every runtime', () => {
    expect(snippets).toEqual(['browser.html', 'deno.ts', 'node-cjs.cjs', 'node-esm.mjs', 'worker-page.html', 'worker.js']);
  });
  for (const file of snippets) {
    it(`shows examples/runtimes/${file} verbatim`, () => {
      const text = readFileSync(join(dir, file), 'utf8').trimEnd();
      expect(readme.includes(`\n${text}\n\`\`\``), `README.md does not contain examples/runtimes/${file} as written; paste it again`).toBe(true);
    });
  }
});
