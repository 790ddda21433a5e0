// Finite-difference checks of a layer's training forward/backward through the
// real engine pieces (Arena, GradientBuffers, StepContext): the loss is
// L = Σ out·R (R fixed random, summed in float64), the analytic gradients come
// from backward(dOut = R), the numeric ones from central differences of the
// float32 forward with respect to every weight and input element (or a sample
// of them for large tensors).
import { expect } from 'vitest';
import { Arena, GradientBuffers, StepContext } from '../../src/engine/arena';
import type { Buf, TrainCallArgs, Trainable } from '../../src/engine/train_types';
import type { Layer } from '../../src/layers/layer';
import { Random } from '../../src/random';
import { type Runtime, getRuntime } from '../../src/wasm/module';
import { randArray } from '../util';

export interface GradCheckOptions {
  /** Input values (default random in [-1, 1)). */
  input?: Float32Array;
  inputShape: number[];
  mask?: Float32Array | null;
  /** Also check the input gradient (default true). */
  inputGrad?: boolean;
  /** Finite-difference step (default 1e-2). */
  eps?: number;
  /** Allowed |numeric - analytic| / max(1, |analytic|) (default 2e-3). */
  tol?: number;
  /** Check at most this many coordinates per tensor (default 60). */
  maxCoords?: number;
  seed?: number;
  options?: Record<string, unknown>;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function makeContext(rt: Runtime, layer: Layer, training = true): { ctx: StepContext; arena: Arena; grads: GradientBuffers } {
  const arena = new Arena(rt);
  const grads = new GradientBuffers(rt);
  for (const w of layer.trainableWeights) grads.add(w.ptr, w.size);
  grads.zero();
  return { ctx: new StepContext(rt, arena, grads, training, new Random(7)), arena, grads };
}

/** Runs the check; returns the max relative error seen (the test asserts it too). */
export function gradCheck(layer: Layer & Trainable, o: GradCheckOptions): number {
  const rt = getRuntime('gradcheck');
  const heap = rt.heap;
  const n = size(o.inputShape);
  const x = o.input ?? randArray(n, o.seed ?? 1);
  const eps = o.eps ?? 1e-2;
  const tol = o.tol ?? 2e-3;
  const maxCoords = o.maxCoords ?? 60;
  const { ctx, arena, grads } = makeContext(rt, layer);
  const wantInputGrad = o.inputGrad ?? true;
  const args = (mask: Buf | null): TrainCallArgs => ({
    masks: [mask],
    optionTensors: {},
    options: o.options ?? {},
    needsInputGrad: [wantInputGrad],
    needsOptionGrad: {},
  });
  let R: Float32Array[] | null = null;
  // Forward on the given input values; returns Σ out·R in float64.
  const lossOf = (xv: Float32Array): number => {
    arena.reset();
    const xb = ctx.buf(o.inputShape);
    heap.writeF32(xb.ptr, xv);
    let mb: Buf | null = null;
    if (o.mask) {
      mb = ctx.buf([o.inputShape[0], o.inputShape[1]]);
      heap.writeF32(mb.ptr, o.mask);
    }
    const fw = layer.forwardTrain(ctx, [xb], args(mb));
    R ??= fw.outputs.map((b, i) => randArray(size(b.shape), 100 + i + (o.seed ?? 0)));
    let L = 0;
    fw.outputs.forEach((b, i) => {
      const v = heap.f32(b.ptr, size(b.shape));
      for (let j = 0; j < v.length; j++) L += v[j] * R![i][j];
    });
    return L;
  };
  // Analytic gradients.
  arena.reset();
  grads.zero();
  const xb = ctx.buf(o.inputShape);
  heap.writeF32(xb.ptr, x);
  let mb: Buf | null = null;
  if (o.mask) {
    mb = ctx.buf([o.inputShape[0], o.inputShape[1]]);
    heap.writeF32(mb.ptr, o.mask);
  }
  const fw = layer.forwardTrain(ctx, [xb], args(mb));
  R = fw.outputs.map((b, i) => randArray(size(b.shape), 100 + i + (o.seed ?? 0)));
  const dOuts = fw.outputs.map((b, i) => {
    const g = ctx.buf(b.shape);
    heap.writeF32(g.ptr, R![i]);
    return g;
  });
  const bw = layer.backward(ctx, fw.saved, dOuts);
  const dx = bw.inputs[0] ? heap.readF32(bw.inputs[0].ptr, n) : null;
  const dW = layer.trainableWeights.map((w) => heap.readF32(grads.get(w.ptr), w.size));
  let worst = 0;
  const pick = (len: number): number[] => {
    if (len <= maxCoords) return Array.from({ length: len }, (_, i) => i);
    const out: number[] = [];
    for (let i = 0; i < maxCoords; i++) out.push(Math.floor(((i * 2654435761) >>> 0) % len));
    return out;
  };
  const compare = (num: number, an: number, what: string): void => {
    const err = Math.abs(num - an) / Math.max(1, Math.abs(an));
    worst = Math.max(worst, err);
    expect(err, `${what}: numeric ${num} vs analytic ${an}`).toBeLessThanOrEqual(tol);
  };
  if (wantInputGrad) {
    expect(dx, 'input gradient').not.toBeNull();
    for (const i of pick(n)) {
      const xp = Float32Array.from(x);
      xp[i] = x[i] + eps;
      const lp = lossOf(xp);
      xp[i] = x[i] - eps;
      const lm = lossOf(xp);
      compare((lp - lm) / (2 * eps), dx![i], `dX[${i}]`);
    }
  }
  layer.trainableWeights.forEach((w, wi) => {
    for (const i of pick(w.size)) {
      const v = heap.f32(w.ptr, w.size);
      const orig = v[i];
      heap.f32(w.ptr, w.size)[i] = orig + eps;
      layer.weightsUpdated();
      const lp = lossOf(x);
      heap.f32(w.ptr, w.size)[i] = orig - eps;
      layer.weightsUpdated();
      const lm = lossOf(x);
      heap.f32(w.ptr, w.size)[i] = orig;
      layer.weightsUpdated();
      compare((lp - lm) / (2 * eps), dW[wi][i], `d${w.name}[${i}]`);
    }
  });
  arena.dispose();
  grads.dispose();
  return worst;
}
