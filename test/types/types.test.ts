// Issue #12 item 3: test/types/consumer.ts (the README's examples and the idioms, no
// casts) compiles with tsc, and each of its `@ts-expect-error` lines is an error on its own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function tsc(project: string): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync(process.execPath, [TSC, '-p', project], { cwd: ROOT, encoding: 'utf8' }) };
  } catch (e) {
    return { ok: false, output: String((e as { stdout?: string }).stdout ?? e) };
  }
}

describe('typed results, as a TypeScript user writes them', () => {
  it('consumer.ts compiles with tsc --noEmit, without a cast', () => {
    const source = readFileSync(join(__dirname, 'consumer.ts'), 'utf8');
    expect(source).not.toMatch(/\bas (Tensor|SymbolicTensor|never|unknown|any)\b/);
    const r = tsc(join('test', 'types', 'tsconfig.json'));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  }, 120_000);

  it('every @ts-expect-error line is rejected by tsc on its own', () => {
    const source = readFileSync(join(__dirname, 'consumer.ts'), 'utf8');
    const lines = source.split('\n');
    const expected = lines.flatMap((l, i) => (/^\s*\/\/ @ts-expect-error/.test(l) ? [i + 2] : [])); // the line after, 1-based
    expect(expected.length).toBeGreaterThanOrEqual(10);
    // The same file with the directives blanked: tsc must report an error on each of those lines, and nowhere else.
    const dir = join(ROOT, 'build', 'types-test');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'consumer.ts'), lines.map((l) => (/^\s*\/\/ @ts-expect-error/.test(l) ? '' : l)).join('\n'));
    const config = JSON.parse(readFileSync(join(__dirname, 'tsconfig.json'), 'utf8'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    const r = tsc(join('build', 'types-test', 'tsconfig.json'));
    expect(r.ok).toBe(false);
    const errorLines = [...new Set([...r.output.matchAll(/consumer\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
    expect(errorLines).toEqual(expected);
    expect(r.output).not.toMatch(/src\/.*error/);
  }, 120_000);
});
