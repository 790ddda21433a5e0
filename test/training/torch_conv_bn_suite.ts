// Conv1D, MaxPooling1D, AveragePooling1D and BatchNormalization training
// against PyTorch float64 (scripts/make_conv_bn_refs.py ->
// test/fixtures/conv_bn_torch_refs.json): training-forward outputs, the
// gradients of L = Σ y·R for the input and every weight, and
// BatchNormalization's moving statistics over three training calls (Keras's
// momentum update with the biased batch variance). Run on the SIMD build
// (torch_conv_bn.test.ts) and the scalar build (torch_conv_bn.scalar.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, layers, loadTraining, tensor } from '../../src/index';
import type { Buf, Trainable } from '../../src/engine/train_types';
import type { Layer } from '../../src/layers/layer';
import { getRuntime } from '../../src/wasm/module';
import { makeContext } from './gradcheck';

interface Case {
  name: string;
  kind: 'conv1d' | 'max_pool1d' | 'avg_pool1d' | 'batch_norm';
  config: Record<string, unknown>;
  inputShape: number[];
  x: number[];
  R: number[];
  y: number[];
  dx: number[];
  kernel?: number[];
  bias?: number[] | null;
  dkernel?: number[];
  dbias?: number[] | null;
  gamma?: number[] | null;
  beta?: number[] | null;
  movingMean?: number[];
  movingVariance?: number[];
  steps?: {
    x: number[]; mask: number[] | null; R: number[]; y: number[]; dx: number[];
    dgamma: number[] | null; dbeta: number[] | null; movingMean: number[]; movingVariance: number[];
  }[];
}

const refs = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'conv_bn_torch_refs.json'), 'utf8')) as { cases: Case[] };

export function defineTorchConvBnSuite(simd: boolean): void {
  describe(`Conv1D, pooling and BatchNormalization training against PyTorch float64 (${simd ? 'SIMD' : 'scalar'} build)`, () => suite(simd));
}

function suite(simd: boolean): void {
  beforeAll(async () => {
    await init({ simd });
    await loadTraining();
  });

  it(`runs on the ${simd ? 'SIMD' : 'scalar'} build`, () => {
    expect(getRuntime('torch refs').simd).toBe(simd);
  });

  const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);

  function close(got: ArrayLike<number>, want: readonly number[], what: string, tol = 2e-5): void {
    expect(got.length, `${what} length`).toBe(want.length);
    let worst = 0;
    let at = -1;
    for (let i = 0; i < want.length; i++) {
      const e = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
      if (e > worst) {
        worst = e;
        at = i;
      }
    }
    expect(worst, `${what}: worst relative error at [${at}] (${got[at]} vs ${want[at]})`).toBeLessThanOrEqual(tol);
  }

  /** One training step of the layer on x: forward, backward of dY = R; returns y, dx and the weight gradients. */
  function step(layer: Layer, x: number[], shape: number[], R: number[], mask: number[] | null) {
    const rt = getRuntime('torch refs');
    const heap = rt.heap;
    const { ctx, arena, grads } = makeContext(rt, layer);
    const xb = ctx.buf(shape);
    heap.writeF32(xb.ptr, Float32Array.from(x));
    let mb: Buf | null = null;
    if (mask) {
      mb = ctx.buf(shape.slice(0, -1));
      heap.writeF32(mb.ptr, Float32Array.from(mask));
    }
    const t = layer as Layer & Trainable;
    const fw = t.forwardTrain(ctx, [xb], { masks: [mb], optionTensors: {}, options: {}, needsInputGrad: [true], needsOptionGrad: {} });
    const out = fw.outputs[0];
    const y = heap.readF32(out.ptr, size(out.shape));
    const dy = ctx.buf(out.shape);
    heap.writeF32(dy.ptr, Float32Array.from(R));
    const bw = t.backward(ctx, fw.saved, [dy]);
    const dx = heap.readF32(bw.inputs[0]!.ptr, size(shape));
    const dW = layer.trainableWeights.map((w) => heap.readF32(grads.get(w.ptr), w.size));
    arena.dispose();
    grads.dispose();
    return { y, dx, dW, outShape: out.shape };
  }

  for (const c of refs.cases) {
    it(`${c.name}`, () => {
      if (c.kind === 'conv1d') {
        const layer = new layers.Conv1D(c.config as never);
        layer.build([null, ...c.inputShape.slice(1)]);
        layer.setWeights(c.config.useBias ? [tensor(c.kernel!, layer.getWeights()[0].shape), tensor(c.bias!, [c.bias!.length])] : [tensor(c.kernel!, layer.getWeights()[0].shape)]);
        const r = step(layer, c.x, c.inputShape, c.R, null);
        close(r.y, c.y, 'y');
        close(r.dx, c.dx, 'dx');
        close(r.dW[0], c.dkernel!, 'dkernel');
        if (c.config.useBias) close(r.dW[1], c.dbias!, 'dbias');
        // The training forward is the inference forward.
        expect(Array.from(layer.apply(tensor(c.x, c.inputShape)).data as Float32Array)).toEqual(Array.from(r.y));
        layer.dispose();
      } else if (c.kind === 'max_pool1d' || c.kind === 'avg_pool1d') {
        const layer = c.kind === 'max_pool1d' ? new layers.MaxPooling1D(c.config as never) : new layers.AveragePooling1D(c.config as never);
        layer.build([null, ...c.inputShape.slice(1)]);
        const r = step(layer, c.x, c.inputShape, c.R, null);
        close(r.y, c.y, 'y');
        close(r.dx, c.dx, 'dx');
        layer.dispose();
      } else {
        const layer = new layers.BatchNormalization(c.config as never);
        layer.build([null, ...c.inputShape.slice(1)]);
        const C = c.movingMean!.length;
        const ws = [...(c.gamma ? [c.gamma] : []), ...(c.beta ? [c.beta] : []), c.movingMean!, c.movingVariance!].map((v) => tensor(v, [C]));
        layer.setWeights(ws);
        c.steps!.forEach((s, i) => {
          const r = step(layer, s.x, c.inputShape, s.R, s.mask);
          close(r.y, s.y, `step ${i} y`, 5e-5);
          close(r.dx, s.dx, `step ${i} dx`, 5e-5);
          let w = 0;
          if (s.dgamma) close(r.dW[w++], s.dgamma, `step ${i} dgamma`, 5e-5);
          if (s.dbeta) close(r.dW[w++], s.dbeta, `step ${i} dbeta`, 5e-5);
          const weights = layer.getWeights();
          close(weights[weights.length - 2].data as Float32Array, s.movingMean, `step ${i} moving_mean`, 2e-6);
          close(weights[weights.length - 1].data as Float32Array, s.movingVariance, `step ${i} moving_variance`, 2e-6);
        });
        layer.dispose();
      }
    });
  }
}

