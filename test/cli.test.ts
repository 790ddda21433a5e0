// The command line, spawned as `node dist/cli.js` (dist/ is rebuilt by
// test/setup/build-dist.ts when older than src/). Outputs are compared with
// the same model loaded and run in-process.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor, init, loadModel, tensor } from '../src/index';
import { layers } from '../src/index';
import type { Layer } from '../src/layers/layer';
import { kerasArchive, layerEntry, legacyH5 } from './io/helpers';
import { ensureDist, ROOT } from './setup/build-dist';
import { randArray } from './util';

let cli = '';
let dir = '';
let seqFile = '';
let twoFile = '';
let k2File = '';

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`rnn-wasm ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function randomize(ls: Layer[], seed: number): void {
  for (const l of ls) l.setWeights(l.weights.map((w, i) => ({ data: randArray(w.size, seed + i, 0.5), shape: [...w.shape] })));
}

beforeAll(async () => {
  cli = ensureDist();
  await init();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-wasm-cli-'));
  // One input: Embedding -> LSTM -> Dense (int32 input).
  const stack = [
    new layers.Embedding({ inputDim: 9, outputDim: 3, maskZero: true, name: 'emb' }),
    new layers.LSTM({ units: 4, name: 'lstm' }),
    new layers.Dense({ units: 2, name: 'out' }),
  ];
  for (const l of stack) l.build(l.className === 'Embedding' ? [null, 5] : l.className === 'LSTM' ? [null, 5, 3] : [null, 4]);
  randomize(stack, 11);
  const seq = {
    class_name: 'Sequential',
    config: { name: 'seq', layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 5], dtype: 'int32', name: 'tokens' } }, ...stack.map((l) => layerEntry(l))] },
  };
  seqFile = path.join(dir, 'seq.keras');
  fs.writeFileSync(seqFile, await kerasArchive(seq, stack));
  // Two inputs, two outputs (Keras 2 functional config in a legacy .h5).
  const gru = new layers.GRU({ units: 3, name: 'gru' });
  const head = new layers.Dense({ units: 2, name: 'head' });
  gru.build([null, 4, 5]);
  head.build([null, 3]);
  randomize([gru, head], 21);
  const two = {
    class_name: 'Model',
    config: {
      name: 'two',
      layers: [
        { class_name: 'InputLayer', name: 'a', config: { batch_input_shape: [null, 4, 2], dtype: 'float32', name: 'a' }, inbound_nodes: [] },
        { class_name: 'InputLayer', name: 'b', config: { batch_input_shape: [null, 4, 3], dtype: 'float32', name: 'b' }, inbound_nodes: [] },
        { class_name: 'Concatenate', name: 'cat', config: { name: 'cat', axis: -1 }, inbound_nodes: [[['a', 0, 0, {}], ['b', 0, 0, {}]]] },
        layerEntry(gru, { name: 'gru', inbound_nodes: [[['cat', 0, 0, {}]]] }),
        layerEntry(head, { name: 'head', inbound_nodes: [[['gru', 0, 0, {}]]] }),
      ],
      input_layers: [['a', 0, 0], ['b', 0, 0]],
      output_layers: [['gru', 0, 0], ['head', 0, 0]],
    },
  };
  twoFile = path.join(dir, 'two.h5');
  fs.writeFileSync(twoFile, await legacyH5(two, [gru, head], '2.15.0'));
  // A Keras 2 Sequential without an InputLayer: the first layer carries batch_input_shape.
  const k2 = [new layers.SimpleRNN({ units: 3, name: 'rnn_7' }), new layers.Dense({ units: 1, name: 'dense_9' })];
  k2[0].build([null, 6, 2]);
  k2[1].build([null, 3]);
  randomize(k2, 31);
  const k2cfg = {
    class_name: 'Sequential',
    config: { name: 'sequential_4', layers: [layerEntry(k2[0], { config: { ...(layerEntry(k2[0]).config as object), batch_input_shape: [null, 6, 2] } }), layerEntry(k2[1])] },
  };
  k2File = path.join(dir, 'k2seq.h5');
  fs.writeFileSync(k2File, await legacyH5(k2cfg, k2, '2.2.4'));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const close = (a: number[], b: ArrayLike<number>): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-6));
};

describe('rnn-wasm CLI', () => {
  it('--help and --version exit 0', async () => {
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: rnn-wasm <command>');
    const v = await run(['--version']);
    expect(v.code).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(v.stdout.trim()).toBe(pkg.version);
  });

  it('bad usage prints the usage to stderr and exits 2', async () => {
    for (const args of [[], ['frobnicate', 'x'], ['summary', seqFile, '--colour'], ['summary'], ['predict', seqFile], ['summary', seqFile, '--input', 'x.json'],
      ['predict', seqFile, '--input', 'x.json', '--batch-size', '0'], ['convert', seqFile, 'out.keras', '--format', 'onnx'],
      ['predict', seqFile, '--input', 'x.json', '--threads', '0'], ['predict', seqFile, '--input', 'x.json', '--threads', 'many'],
      ['summary', seqFile, '--threads', '2']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('Usage: rnn-wasm');
      expect(r.stdout).toBe('');
    }
  });

  it('summary prints the same table as model.summary()', async () => {
    const r = await run(['summary', seqFile]);
    expect(r.code, r.stderr).toBe(0);
    const m = await loadModel(seqFile);
    const lines: string[] = [];
    m.summary((l) => lines.push(l));
    m.dispose();
    expect(r.stdout).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(r.stdout).toContain('lstm (LSTM)');
  });

  it('predict: one int32 input from a nested array, to stdout and to --output', async () => {
    const x = [[1, 2, 3, 0, 0], [4, 5, 6, 7, 8], [8, 0, 0, 0, 0]];
    fs.writeFileSync(path.join(dir, 'x.json'), JSON.stringify(x));
    const r = await run(['predict', seqFile, '--input', 'x.json', '--batch-size', '2']);
    expect(r.code, r.stderr).toBe(0);
    const m = await loadModel(seqFile);
    const want = m.predict(tensor(x, undefined, 'int32')) as Tensor;
    m.dispose();
    const got = JSON.parse(r.stdout) as number[][];
    expect(got.length).toBe(3);
    close(got.flat(), want.data);
    // --threads: the same numbers on any thread count (a batch this small stays on one thread anyway).
    const t = await run(['predict', seqFile, '--input', 'x.json', '--batch-size', '2', '--threads', '2']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toBe(r.stdout);
    const w = await run(['predict', seqFile, '-i', 'x.json', '-o', 'y.json']);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toBe('');
    close((JSON.parse(fs.readFileSync(path.join(dir, 'y.json'), 'utf8')) as number[][]).flat(), want.data);
  });

  it('predict: several inputs as a list or keyed by input name; outputs follow the same form', async () => {
    const a = Array.from({ length: 2 }, (_, i) => Array.from({ length: 4 }, (_, t) => [Math.sin(i + t), Math.cos(i * t)]));
    const b = Array.from({ length: 2 }, (_, i) => Array.from({ length: 4 }, (_, t) => [i - t, 0.5, (i * t) / 3]));
    const m = await loadModel(twoFile);
    const want = m.predict([tensor(a), tensor(b)]) as Tensor[];
    m.dispose();
    fs.writeFileSync(path.join(dir, 'list.json'), JSON.stringify([a, b]));
    const r1 = await run(['predict', twoFile, '--input', 'list.json']);
    expect(r1.code, r1.stderr).toBe(0);
    const l = JSON.parse(r1.stdout) as number[][][];
    expect(l.length).toBe(2);
    close(l[0].flat(), want[0].data);
    close(l[1].flat(), want[1].data);
    fs.writeFileSync(path.join(dir, 'obj.json'), JSON.stringify({ b, a }));
    const r2 = await run(['predict', twoFile, '--input', 'obj.json']);
    expect(r2.code, r2.stderr).toBe(0);
    const o = JSON.parse(r2.stdout) as Record<string, number[][]>;
    expect(Object.keys(o)).toEqual(['gru', 'head']);
    close(o.gru.flat(), want[0].data);
    close(o.head.flat(), want[1].data);
  });

  it('convert: .h5 -> .keras and .keras -> tfjs model.json, loading back to the same outputs', async () => {
    const a = [[[0.1, 0.2], [0.3, -0.4], [0.5, 0.6], [-0.7, 0.8]]];
    const b = [[[1, 0, -1], [0.5, 0.5, 0.5], [0, 0, 0], [2, -2, 1]]];
    const tokens = tensor([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]], undefined, 'int32');
    const two = await loadModel(twoFile);
    const wantTwo = two.predict([tensor(a), tensor(b)]) as Tensor[];
    two.dispose();
    const seq = await loadModel(seqFile);
    const wantSeq = seq.predict(tokens) as Tensor;
    seq.dispose();
    const r1 = await run(['convert', twoFile, 'two.keras']);
    expect(r1.code, r1.stderr).toBe(0);
    const k = await loadModel(path.join(dir, 'two.keras'));
    (k.predict([tensor(a), tensor(b)]) as Tensor[]).forEach((t, i) => close(Array.from(t.data), wantTwo[i].data));
    k.dispose();
    fs.mkdirSync(path.join(dir, 'tfjs_out'));
    const r2 = await run(['convert', seqFile, path.join('tfjs_out', 'model.json'), '--format', 'tfjs']);
    expect(r2.code, r2.stderr).toBe(0);
    const t = await loadModel(path.join(dir, 'tfjs_out', 'model.json'));
    close(Array.from((t.predict(tokens) as Tensor).data), wantSeq.data);
    t.dispose();
    // What the target format cannot hold (GRU resetAfter: true in tfjs) and unreadable inputs exit 1.
    const r3 = await run(['convert', twoFile, 'two_tfjs/model.json', '--format', 'tfjs']);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('not supported by TensorFlow.js');
    const r4 = await run(['convert', 'missing.h5', 'x.keras']);
    expect(r4.code).toBe(1);
    expect(r4.stderr).toContain('missing.h5');
  });

  it('input names come from the file, not from what the process loaded before', async () => {
    // Loads of other models first (each used to take an input_layer_<n> from a process-wide counter).
    for (const f of [twoFile, seqFile, k2File, twoFile]) (await loadModel(f)).dispose();
    for (let round = 0; round < 2; round++) {
      const seq = await loadModel(seqFile);
      const two = await loadModel(twoFile);
      const k2 = await loadModel(k2File);
      // Keras 3 InputLayer name; functional input names; Keras 2's `<first layer>_input` (tf-keras Sequential.add).
      expect(seq.inputs.map((t) => t.node.layer.name)).toEqual(['tokens']);
      expect(seq.inputs[0].dtype).toBe('int32');
      expect(two.inputs.map((t) => t.node.layer.name)).toEqual(['a', 'b']);
      expect(k2.inputs.map((t) => t.node.layer.name)).toEqual(['rnn_7_input']);
      for (const m of [seq, two, k2]) m.dispose();
    }
    // The CLI, in a fresh process, takes inputs keyed by the file's names.
    const x = [[1, 2, 3, 0, 0], [8, 7, 0, 0, 0]];
    fs.writeFileSync(path.join(dir, 'tokens.json'), JSON.stringify({ tokens: x }));
    const r = await run(['predict', seqFile, '--input', 'tokens.json']);
    expect(r.code, r.stderr).toBe(0);
    const m = await loadModel(seqFile);
    const want = m.predict(tensor(x, undefined, 'int32')) as Tensor;
    m.dispose();
    const o = JSON.parse(r.stdout) as Record<string, number[][]>;
    expect(Object.keys(o)).toEqual(['out']);
    close(o.out.flat(), want.data);
    const seqIn = Array.from({ length: 2 }, (_, i) => Array.from({ length: 6 }, (_, t) => [i + t / 5, -t / 3]));
    fs.writeFileSync(path.join(dir, 'k2.json'), JSON.stringify({ rnn_7_input: seqIn }));
    const r2 = await run(['predict', k2File, '--input', 'k2.json']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(Object.keys(JSON.parse(r2.stdout) as object)).toEqual(['dense_9']);
  });

  it('predict: one --input file per input, in input order', async () => {
    const a = [[[0.1, 0.2], [0.3, -0.4], [0.5, 0.6], [-0.7, 0.8]]];
    const b = [[[1, 0, -1], [0.5, 0.5, 0.5], [0, 0, 0], [2, -2, 1]]];
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify(a));
    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify(b));
    const m = await loadModel(twoFile);
    const want = m.predict([tensor(a), tensor(b)]) as Tensor[];
    m.dispose();
    const r = await run(['predict', twoFile, '--input', 'a.json', '-i', 'b.json']);
    expect(r.code, r.stderr).toBe(0);
    const l = JSON.parse(r.stdout) as number[][][];
    expect(l.length).toBe(2);
    close(l[0].flat(), want[0].data);
    close(l[1].flat(), want[1].data);
    // Swapped files reach the wrong inputs (b has 3 features where a has 2): the model says so.
    const swapped = await run(['predict', twoFile, '-i', 'b.json', '-i', 'a.json']);
    expect(swapped.code).toBe(1);
    const three = await run(['predict', twoFile, '-i', 'a.json', '-i', 'b.json', '-i', 'a.json']);
    expect(three.code).toBe(1);
    expect(three.stderr).toContain('3 --input files were given; the model has 2 inputs [a, b]');
  });

  it('predict: an { input_sets } file (as beside the keras-wild models) runs every set', async () => {
    const flat = (v: number[][][]): number[] => v.flat(2);
    const sets = [0, 1].map((k) => {
      const a = Array.from({ length: k + 1 }, (_, i) => Array.from({ length: 4 }, (_, t) => [Math.sin(i + t + k), Math.cos(i * t)]));
      const b = Array.from({ length: k + 1 }, (_, i) => Array.from({ length: 4 }, (_, t) => [i - t, 0.5 * k, (i * t) / 3]));
      return { a, b };
    });
    // Inputs listed in another order than the model's: matched by name.
    const file = {
      input_sets: sets.map(({ a, b }, k) => ({
        name: `set${k}`,
        inputs: [
          { name: 'b', dtype: 'float32', shape: [b.length, 4, 3], data: flat(b) },
          { name: 'a', dtype: 'float32', shape: [a.length, 4, 2], data: flat(a) },
        ],
      })),
    };
    fs.writeFileSync(path.join(dir, 'sets.json'), JSON.stringify(file));
    const r = await run(['predict', twoFile, '--input', 'sets.json']);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { input_sets: { name: string; outputs: { name: string; shape: number[]; data: number[] }[] }[] };
    const m = await loadModel(twoFile);
    expect(got.input_sets.map((s) => s.name)).toEqual(['set0', 'set1']);
    sets.forEach(({ a, b }, k) => {
      const want = m.predict([tensor(a), tensor(b)]) as Tensor[];
      const outs = got.input_sets[k].outputs;
      expect(outs.map((o) => o.name)).toEqual(['gru', 'head']);
      outs.forEach((o, i) => {
        expect(o.shape).toEqual(want[i].shape);
        close(o.data, want[i].data);
      });
    });
    m.dispose();
    // A one-input model takes a set of one input under another name (keras-wild names Keras 2 inputs 'input').
    const x = [1, 2, 3, 0, 0, 4, 5, 6, 7, 8];
    fs.writeFileSync(path.join(dir, 'one.json'), JSON.stringify({ input_sets: [{ name: 'only', inputs: [{ name: 'input', dtype: 'int32', shape: [2, 5], data: x }] }] }));
    const r1 = await run(['predict', seqFile, '-i', 'one.json']);
    expect(r1.code, r1.stderr).toBe(0);
    const s = await loadModel(seqFile);
    const want = s.predict(tensor(x, [2, 5], 'int32')) as Tensor;
    s.dispose();
    const one = (JSON.parse(r1.stdout) as typeof got).input_sets[0].outputs[0];
    expect(one.name).toBe('out');
    expect(one.shape).toEqual([2, 2]);
    close(one.data, want.data);
    // Names that do not match a several-input model, and a shape that does not fit the data, exit 1.
    fs.writeFileSync(path.join(dir, 'badsets.json'), JSON.stringify({ input_sets: [{ name: 's', inputs: [{ name: 'x', shape: [1, 4, 2], data: flat(sets[0].a) }, { name: 'b', shape: [1, 4, 3], data: flat(sets[0].b) }] }] }));
    const bad = await run(['predict', twoFile, '-i', 'badsets.json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("input set 's' has inputs [x, b]; the model's inputs are [a, b]");
    fs.writeFileSync(path.join(dir, 'badshape.json'), JSON.stringify({ input_sets: [{ name: 's', inputs: [{ name: 'input', shape: [3, 5], data: x }] }] }));
    const bs = await run(['predict', seqFile, '-i', 'badshape.json']);
    expect(bs.code).toBe(1);
    expect(bs.stderr).toContain("badshape.json': input set 's', input 'input'");
  });

  it('convert prints what it wrote; an output extension it cannot tell says to use --format', async () => {
    const r1 = await run(['convert', twoFile, 'printed.keras']);
    expect(r1.code, r1.stderr).toBe(0);
    const size = fs.statSync(path.join(dir, 'printed.keras')).size;
    expect(r1.stdout).toContain(`Converted '${twoFile}' (model 'two', `);
    expect(r1.stdout).toContain('a Keras 3 .keras archive');
    expect(r1.stdout).toMatch(new RegExp(`\\n  printed\\.keras  ${size.toLocaleString('en-US')} bytes\\n$`));
    const r2 = await run(['convert', seqFile, 'printed_tfjs', '--format', 'tfjs']);
    expect(r2.code, r2.stderr).toBe(0);
    const listed = r2.stdout.split('\n').slice(1).filter((l) => l !== '').map((l) => l.trim().split(/\s+/)[0]);
    expect(listed[0]).toBe('printed_tfjs/model.json');
    expect(listed.length).toBeGreaterThan(1);
    expect(new Set(listed.map((f) => path.join(dir, f)))).toEqual(new Set(fs.readdirSync(path.join(dir, 'printed_tfjs')).map((f) => path.join(dir, 'printed_tfjs', f))));
    for (const [out, fragment] of [['model.onnx', "extension '.onnx'"], ['model', 'no extension'], ['model.h5', "ending in '.keras'"]]) {
      const r = await run(['convert', seqFile, out]);
      expect(r.code, out).toBe(2);
      expect(r.stderr, out).toContain(fragment);
      expect(r.stderr, out).toContain(out.endsWith('.h5') ? '--format tfjs' : '--format keras');
      expect(r.stdout).toBe('');
      expect(fs.existsSync(path.join(dir, out))).toBe(false);
    }
  });

  it('dist keeps the node: prefix of the lazily imported fs (browser bundlers leave node: specifiers alone)', () => {
    for (const f of ['index.js', 'index.cjs']) {
      const code = fs.readFileSync(path.join(ROOT, 'dist', f), 'utf8');
      expect(code, f).toContain("import('node:fs/promises')");
      expect(code, f).not.toMatch(/import\(['"]fs\/promises['"]\)/);
    }
  });

  it('input problems and load errors exit 1 with a message naming the file, stack only with --verbose', async () => {
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"a": [[1]]');
    fs.writeFileSync(path.join(dir, 'wrongkeys.json'), JSON.stringify({ a: [[[1, 2]]], c: [[[1, 2, 3]]] }));
    fs.writeFileSync(path.join(dir, 'ragged.json'), JSON.stringify([[1, 2], [3]]));
    fs.writeFileSync(path.join(dir, 'junk.keras'), 'PK not really a zip');
    const cases: [string[], string[]][] = [
      [['predict', seqFile, '--input', 'bad.json'], ['bad.json', 'not valid JSON']],
      [['predict', seqFile, '--input', 'missing.json'], ['missing.json', 'cannot read']],
      [['predict', twoFile, '--input', 'wrongkeys.json'], ['wrongkeys.json', 'missing b', 'unknown c']],
      [['predict', seqFile, '--input', 'ragged.json'], ['ragged.json']],
      [['summary', 'junk.keras'], ['junk.keras', 'not a readable .keras zip archive']],
      [['summary', 'nope.h5'], ['nope.h5', 'cannot read the file']],
    ];
    for (const [args, fragments] of cases) {
      const r = await run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      for (const f of fragments) expect(r.stderr).toContain(f);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain('Usage:');
    }
    const v = await run(['summary', 'junk.keras', '--verbose']);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/\n\s+at /);
  });
});
