// The README's code, as written. Every ```ts / ```js block is type-checked by the
// TypeScript compiler against the package's own types (dist/index.d.ts, as a user
// importing 'rnn-wasm' gets them: strict, no casts added), and the ones that run in
// Node run here, each in a fresh `node` process importing the built package by its
// name. The Runtimes snippets are the files in examples/runtimes/ (kept identical
// below); the browser and Deno ones run in `npm run test:browser` / `test:deno`.
// A block that cannot run alone must say so in the README, visibly, right above it,
// with the marker `<!-- readme-test: fragment -->`; it is then neither checked nor
// run, and the test lists it (none is marked today: the list must stay empty).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from './setup/build-dist';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const runtimesDir = join(root, 'examples', 'runtimes');
const runtimes = readdirSync(runtimesDir).sort();

interface Block {
  lang: 'ts' | 'js';
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  heading: string;
  fragment: boolean;
  /** The examples/runtimes file it shows, if any. */
  runtime?: string;
}

/** The ```ts and ```js blocks of the README, with the heading they sit under. */
function blocks(): Block[] {
  const lines = readme.split('\n');
  const out: Block[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    if (/^#{1,6} /.test(lines[i])) heading = lines[i].replace(/^#+ /, '');
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    const lang = open[1];
    if (lang === 'ts' || lang === 'js') {
      const code = lines.slice(i + 1, j).join('\n');
      let k = i - 1;
      while (k >= 0 && lines[k].trim() === '') k--;
      const runtime = runtimes.find((f) => readFileSync(join(runtimesDir, f), 'utf8').trimEnd() === code.trimEnd());
      out.push({ lang, code, line: i + 1, heading, fragment: lines[k]?.includes('<!-- readme-test: fragment -->') ?? false, runtime });
    }
    i = j;
  }
  return out;
}

const BLOCKS = blocks();
/** Runtime snippets run by another suite, not by Node here. */
const RUN_ELSEWHERE: Record<string, string> = { 'deno.ts': 'npm run test:deno', 'worker.js': 'npm run test:browser' };

const label = (b: Block): string => `README.md:${b.line} (${b.heading}${b.runtime ? `, examples/runtimes/${b.runtime}` : ''})`;

/** The file a block is checked and run as: its runtime's name, else snippet-<line>.ts / .mjs. */
function fileName(b: Block): string {
  if (b.runtime) return b.runtime;
  return `snippet-${b.line}.${b.lang === 'ts' ? 'ts' : 'mjs'}`;
}

// Written under build/ inside the repository, so `import 'rnn-wasm'` resolves to this
// package by its name (Node's self-reference through package.json "exports").
const dir = join(root, 'build', 'readme-snippets');

describe('README Runtimes section', () => {
  it('has the snippets of every runtime', () => {
    expect(runtimes).toEqual(['browser.html', 'deno.ts', 'node-cjs.cjs', 'node-esm.mjs', 'worker-page.html', 'worker.js']);
  });
  for (const file of runtimes) {
    it(`shows examples/runtimes/${file} verbatim`, () => {
      const text = readFileSync(join(runtimesDir, file), 'utf8').trimEnd();
      expect(readme.includes(`\n${text}\n\`\`\``), `README.md does not contain examples/runtimes/${file} as written; paste it again`).toBe(true);
    });
  }
});

describe('README code blocks', () => {
  let types = '';
  beforeAll(() => {
    ensureDist();
    types = join(root, 'dist', 'index.d.ts');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const b of BLOCKS) writeFileSync(join(dir, fileName(b)), b.code);
  });

  it('finds the Quick start, the Training example and the Runtimes snippets', () => {
    expect(BLOCKS.map((b) => b.heading)).toEqual(expect.arrayContaining(['Quick start', 'Training', 'Node (ESM)', 'Node (CommonJS)', 'Web Worker', 'Deno']));
    expect(BLOCKS.filter((b) => b.runtime).map((b) => b.runtime).sort()).toEqual(['deno.ts', 'node-cjs.cjs', 'node-esm.mjs', 'worker.js']);
    expect(BLOCKS.filter((b) => b.fragment).map(label)).toEqual([]);
  });

  /** TypeScript diagnostics of the blocks, checked together in one program per set of globals. */
  function check(list: Block[], lib: string[], nodeTypes: boolean): string[] {
    const files = list.map((b) => join(dir, fileName(b)));
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      allowJs: true,
      checkJs: true,
      skipLibCheck: true,
      lib,
      types: nodeTypes ? ['node'] : [],
      typeRoots: [join(root, 'node_modules', '@types')],
      // The package's published types, under every specifier the snippets use for it.
      paths: { 'rnn-wasm': [types], 'npm:rnn-wasm': [types], '/dist/index.js': [types] },
      // One program, several scripts: each file is its own module.
      moduleDetection: ts.ModuleDetectionKind.Force,
    };
    const program = ts.createProgram(files, options);
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return `TS${d.code}: ${text}`;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      const b = list.find((x) => join(dir, fileName(x)) === d.file!.fileName);
      return `${b ? `README.md:${b.line + 1 + line}` : d.file.fileName}:${character + 1} (${b ? label(b) : ''}) TS${d.code}: ${text}`;
    });
  }

  it('every ts/js block type-checks against the package types, without casts (Node and Deno: ES2022 + Node types)', () => {
    const list = BLOCKS.filter((b) => b.runtime !== 'worker.js' && !b.fragment);
    expect(list.length).toBeGreaterThanOrEqual(5);
    expect(check(list, ['lib.es2022.d.ts'], true)).toEqual([]);
  });

  it('the Web Worker snippet type-checks with the WebWorker globals', () => {
    const list = BLOCKS.filter((b) => b.runtime === 'worker.js');
    expect(list.length).toBe(1);
    expect(check(list, ['lib.es2022.d.ts', 'lib.webworker.d.ts'], false)).toEqual([]);
  });

  /** Runs a block in a fresh Node process (types stripped by the TypeScript compiler, nothing else changed). */
  function runInNode(b: Block): { status: number | null; stdout: string; stderr: string } {
    let file = join(dir, fileName(b));
    if (b.lang === 'ts') {
      file = file.replace(/\.ts$/, '.mjs');
      const js = ts.transpileModule(b.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false } });
      writeFileSync(file, js.outputText);
    }
    const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  for (const b of BLOCKS) {
    if (b.fragment) continue;
    const elsewhere = b.runtime ? RUN_ELSEWHERE[b.runtime] : undefined;
    if (elsewhere) {
      it(`${label(b)} runs in ${elsewhere} (examples/runtimes/${b.runtime}, identical to the README)`, () => {
        const suites = readFileSync(join(root, elsewhere.endsWith('deno') ? 'test-deno/deno_test.ts' : 'test-browser/runtimes.browser.test.ts'), 'utf8');
        expect(suites).toContain(b.runtime === 'deno.ts' ? 'examples/runtimes/deno.ts' : '/examples/runtimes/worker-page.html');
      });
      continue;
    }
    it(`${label(b)} runs in Node as written`, () => {
      const r = runInNode(b);
      expect(r.status, `${label(b)} exited with ${r.status}:\n${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
      if (b.heading === 'Quick start') expect(r.stdout).toContain('[ 2, 7, 4 ] [ 2, 4 ] [ 2, 4 ]');
      if (b.runtime === 'node-esm.mjs' || b.runtime === 'node-cjs.cjs') expect(r.stdout).toMatch(/^(simd|scalar) \[ 1, 2 \] \[\[/);
    });
  }
});
