// Defines suites running every case in test/fixtures/*.json: PyTorch-derived float64 references
// (scripts/gen_fixtures.py) and Keras's own golden numbers ported from its
// tests. See test/fixtures/README.md for the format.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Tensor, backend, init, layers } from '../../src/index';
import { maxAbsDiff } from '../util';

interface Arr {
  shape: number[];
  data: string | number[];
}
interface Case {
  name: string;
  layer: 'SimpleRNN' | 'LSTM' | 'GRU';
  config: Record<string, unknown>;
  x: Arr;
  weights?: Arr[];
  mask?: Arr;
  initialState?: Arr[];
  expected: Arr[];
  tolerance?: number;
}

function decode(a: Arr): { data: Float32Array; shape: number[] } {
  if (typeof a.data === 'string') {
    const bytes = Buffer.from(a.data, 'base64');
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return { data, shape: a.shape };
  }
  return { data: Float32Array.from(a.data), shape: a.shape };
}

const dir = join(__dirname, '..', 'fixtures');
// The layer fixtures written by scripts/gen_fixtures.py (torch_*.json) and the
// ported Keras goldens; other fixture files (e.g. cudnn_rnn.json) have their own tests.
const files = readdirSync(dir).filter((f) => /^(torch_.*|keras_golden)\.json$/.test(f)).sort();

/**
 * Defines one suite per fixture file on the given build. Used by
 * fixtures.test.ts (default build) and fixtures.scalar.test.ts (fallback).
 */
export function defineFixtureSuites(simd: boolean | undefined): void {
  beforeAll(async () => {
    await init({ simd });
    if (simd === false) expect(backend()).toBe('scalar');
  });

  it('finds the fixture files', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  for (const file of files) {
    const { cases } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cases: Case[] };
    describe(file, () => {
      it('has cases', () => expect(cases.length).toBeGreaterThan(0));
      for (const c of cases) {
        it(c.name, () => {
          const Ctor = layers[c.layer] as unknown as new (o: Record<string, unknown>) => InstanceType<typeof layers.LSTM>;
          const layer = new Ctor(c.config);
          const x = decode(c.x);
          layer.build([x.shape[0], x.shape[1], x.shape[2]]);
          if (c.weights) layer.setWeights(c.weights.map(decode));
          const res = layer.apply(x, {
            mask: c.mask ? decode(c.mask) : undefined,
            initialState: c.initialState ? c.initialState.map(decode) : undefined,
          });
          layer.dispose();
          const got: Tensor[] = Array.isArray(res) ? res : [res];
          expect(got.length).toBe(c.expected.length);
          const tol = c.tolerance ?? 1e-5;
          c.expected.forEach((e, i) => {
            const want = decode(e);
            expect([...got[i].shape]).toEqual(want.shape);
            expect(maxAbsDiff(got[i].data, want.data), `${c.name} result ${i}`).toBeLessThanOrEqual(tol);
          });
        });
      }
    });
  }
}
