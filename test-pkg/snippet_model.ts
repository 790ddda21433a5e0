// The model of the README runtime snippets (examples/runtimes/*), built from
// whichever copy of the library the caller passes (repo src/, dist/, ...), so
// tests can compute in-process what the snippets print. Keep in sync with the
// snippets: same seeds, same layers, same input.
import type * as Lib from '../src/index';

/** (batch 1, 3 timesteps, 3 features), as in the snippets. */
export const SNIPPET_INPUT = [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]];

type LibLike = Pick<typeof Lib, 'Sequential' | 'layers' | 'initializers'>;

export function snippetModel(lib: LibLike): Lib.Sequential {
  const { Sequential, layers, initializers } = lib;
  return new Sequential({ layers: [
    new layers.LSTM({
      units: 8, inputShape: [null, 3],
      kernelInitializer: new initializers.GlorotUniform({ seed: 1 }),
      recurrentInitializer: new initializers.Orthogonal({ seed: 2 }),
    }),
    new layers.Dense({ units: 2, activation: 'softmax', kernelInitializer: new initializers.GlorotUniform({ seed: 3 }) }),
  ] });
}

/** Parses a snippet's output line: `<backend> [ 1, 2 ] [[...]]`. */
export function parseSnippetOutput(stdout: string): { backend: string; shape: number[]; values: number[] } {
  const line = stdout.trim().split('\n').pop() ?? '';
  const m = /^(simd|scalar) \[ ([\d, ]+) \] (\[.*\])$/.exec(line);
  if (!m) throw new Error(`snippet output: expected '<backend> [ shape ] [[values]]' as the last line, received ${JSON.stringify(stdout.slice(-500))}`);
  return { backend: m[1], shape: m[2].split(',').map(Number), values: (JSON.parse(m[3]) as number[][]).flat() };
}

/**
 * Float64 forward pass of the snippet model (LSTM with Keras's equations,
 * then Dense + softmax) from its Keras-layout weights: a reference computed
 * without this library's kernels.
 */
export function snippetReference(weights: { data: ArrayLike<number>; shape: readonly number[] }[], x: number[][][]): number[] {
  const [kernel, recurrent, bias, dKernel, dBias] = weights;
  const F = kernel.shape[0];
  const U = recurrent.shape[0];
  const O = dKernel.shape[1];
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const out: number[] = [];
  for (const seq of x) {
    const h = new Float64Array(U);
    const c = new Float64Array(U);
    for (const xt of seq) {
      const z = new Float64Array(4 * U);
      for (let j = 0; j < 4 * U; j++) {
        let s = bias.data[j];
        for (let f = 0; f < F; f++) s += xt[f] * kernel.data[f * 4 * U + j];
        for (let k = 0; k < U; k++) s += h[k] * recurrent.data[k * 4 * U + j];
        z[j] = s;
      }
      // Keras gate order i, f, c, o (keras/src/layers/rnn/lstm.py)
      for (let u = 0; u < U; u++) {
        c[u] = sig(z[U + u]) * c[u] + sig(z[u]) * Math.tanh(z[2 * U + u]);
        h[u] = sig(z[3 * U + u]) * Math.tanh(c[u]);
      }
    }
    const logits = Array.from({ length: O }, (_, o) => {
      let s = dBias.data[o];
      for (let k = 0; k < U; k++) s += h[k] * dKernel.data[k * O + o];
      return s;
    });
    const m = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => v / sum));
  }
  return out;
}
