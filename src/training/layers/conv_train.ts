// Training forward/backward of Conv1D, MaxPooling1D and AveragePooling1D
// (layers/convolutional.ts) on the kernels of assembly/conv1d.ts,
// assembly/pooling.ts and assembly/train_conv.ts. Loaded with the training
// code and registered with layers/train_registry.ts.
// Keras: these layers do not support masking, so a mask reaching them is
// dropped (their outputs carry none) — the engine's default for a layer
// without supportsMasking.
import { type Buf, type TrainCallArgs, type TrainContext, bufSize } from '../../engine/train_types';
import { AveragePooling1D, Conv1D, MaxPooling1D } from '../../layers/convolutional';
import type { LayerWeight } from '../../layers/layer';
import { LOG_SOFTMAX_ID as LOG_SOFTMAX, SOFTMAX_ID as SOFTMAX } from '../../layers/layer_utils';
import { type LayerTraining, registerLayerTraining } from '../../layers/train_registry';
import { formatShape } from '../../tensor';

const PAD_CODES = { valid: 0, same: 1, causal: 2 } as const;

// The members of Conv1D this code reads (private in its public API).
interface Conv1DInternals {
  readonly context: string;
  readonly built: boolean;
  build(shape: (number | null)[]): void;
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly dilationRate: number;
  readonly padding: 'valid' | 'same' | 'causal';
  readonly activation: string;
  readonly actId: number;
  readonly inputChannels: number;
  readonly kernel: LayerWeight;
  readonly bias: LayerWeight | null;
  readonly kernelP: number;
  outputLength(L: number): number;
}

interface Conv1DSaved {
  x: Buf;
  out: Buf;
  /** Pre-activation output, or 0 when the activation's derivative needs only its output. */
  z: number;
  Lout: number;
  needDx: boolean;
  /** The loss already differentiated through the activation (fused softmax/sigmoid + crossentropy). */
  logits: boolean;
}

interface Pooling1DInternals {
  readonly context: string;
  readonly built: boolean;
  build(shape: (number | null)[]): void;
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same';
  outputLength(L: number): number;
  runKernel(out: number, x: number, B: number, L: number, C: number, pad: number): void;
}

interface PoolingSaved {
  x: Buf;
  out: Buf;
}

function rank3(x: Buf, context: string): [number, number, number] {
  if (x.shape.length !== 3) {
    throw new Error(`${context}: expected input of rank 3 (batch, steps, channels), received shape ${formatShape(x.shape as number[])}.`);
  }
  return [x.shape[0], x.shape[1], x.shape[2]];
}

const fusable = (activation: string): 'softmax' | 'sigmoid' | null =>
  activation === 'softmax' || activation === 'sigmoid' ? activation : null;

const conv1d: LayerTraining<Conv1D> = {
  /**
   * out = act(conv(x, kernel) + bias), as call() computes it (the packed
   * kernel, the same im2col blocks); keeps x, the output and, for activations
   * whose derivative needs it, the pre-activation.
   */
  forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
    const l = layer as unknown as Conv1DInternals;
    const k = ctx.rt.exports;
    const x = inputs[0];
    const [B, L, C] = rank3(x, l.context);
    if (!l.built) l.build([null, L, C]);
    if (C !== l.inputChannels) {
      throw new Error(`${l.context}: expected input with ${l.inputChannels} channels (last dimension), received shape ${formatShape(x.shape as number[])}.`);
    }
    const Lout = l.outputLength(L);
    const F = l.filters;
    const pad = PAD_CODES[l.padding];
    const n = B * Lout * F;
    const out = ctx.buf([B, Lout, F]);
    const scratch = ctx.alloc(k.conv1d_scratch_floats(B, L, C, l.kernelSize, l.strides, l.dilationRate, pad));
    const elementwise = l.actId > 0 ? l.actId : 0;
    const run = (dst: number, act: number): void =>
      k.conv1d_forward(dst, x.ptr, l.kernelP, l.bias ? l.bias.ptr : 0, scratch, B, L, C, F, l.kernelSize, l.strides, l.dilationRate, pad, l.bias ? 1 : 0, act);
    let z = 0;
    if (elementwise !== 0 && k.act_backward_needs_input(elementwise) === 1) {
      z = ctx.alloc(n);
      run(z, 0);
      k.act_forward(out.ptr, z, n, elementwise);
    } else {
      run(out.ptr, elementwise);
      if (l.actId === SOFTMAX) k.softmax_forward(out.ptr, out.ptr, B * Lout, F);
      else if (l.actId === LOG_SOFTMAX) k.log_softmax_forward(out.ptr, out.ptr, B * Lout, F);
    }
    const saved: Conv1DSaved = { x, out, z, Lout, needDx: args.needsInputGrad[0] === true, logits: false };
    return { outputs: [out], saved };
  },
  /**
   * dZ = dY through the activation (in place in dY), then conv1d_backward:
   * dKernel += im2col(x)ᵀ·dZ, dBias += column sums of dZ, dX = col2im(dZ·Kᵀ)
   * when an upstream layer trains.
   */
  backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
    const l = layer as unknown as Conv1DInternals;
    const s = saved as Conv1DSaved;
    const dy = dOutputs[0];
    if (!dy) return { inputs: [null] };
    const k = ctx.rt.exports;
    const [B, L, C] = s.x.shape;
    const F = l.filters;
    const rows = B * s.Lout;
    const gK = ctx.grad(l.kernel.ptr);
    const gB = l.bias ? ctx.grad(l.bias.ptr) : 0;
    if (!gK && !gB && !s.needDx) return { inputs: [null] };
    if (!s.logits) {
      if (l.actId === SOFTMAX) k.softmax_backward(dy.ptr, dy.ptr, s.out.ptr, rows, F);
      else if (l.actId === LOG_SOFTMAX) k.log_softmax_backward(dy.ptr, dy.ptr, s.out.ptr, rows, F);
      else if (l.actId > 0) k.act_backward(dy.ptr, dy.ptr, s.z, s.out.ptr, rows * F, l.actId);
    }
    const dx = s.needDx ? ctx.buf(s.x.shape, true) : null;
    const pad = PAD_CODES[l.padding];
    const scratch = ctx.alloc(k.conv1d_backward_scratch_floats(B, L, C, F, l.kernelSize, l.strides, l.dilationRate, pad));
    k.conv1d_backward(
      dx ? dx.ptr : 0, gK, gB, dy.ptr, s.x.ptr, l.kernel.ptr, scratch, B, L, C, F, l.kernelSize, l.strides, l.dilationRate, pad,
    );
    return { inputs: [dx] };
  },
  outputActivation: (layer) => fusable((layer as unknown as Conv1DInternals).activation),
  useLogitsGradient(_layer, saved) {
    (saved as Conv1DSaved).logits = true;
  },
};

function pooling(isMax: boolean): LayerTraining<MaxPooling1D | AveragePooling1D> {
  return {
    /** The inference kernel on the arena buffers; keeps x and the output (max: the window maxima). */
    forwardTrain(layer, ctx: TrainContext, inputs: Buf[]) {
      const l = layer as unknown as Pooling1DInternals;
      const x = inputs[0];
      const [B, L, C] = rank3(x, l.context);
      if (!l.built) l.build([null, L, C]);
      const Lout = l.outputLength(L);
      const out = ctx.buf([B, Lout, C]);
      l.runKernel(out.ptr, x.ptr, B, L, C, l.padding === 'same' ? 1 : 0);
      const saved: PoolingSaved = { x, out };
      return { outputs: [out], saved };
    },
    /**
     * Max: each window's gradient to the first step holding its maximum, per
     * channel; average: the gradient over the window's real steps, divided by
     * their count (assembly/train_conv.ts).
     */
    backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
      const l = layer as unknown as Pooling1DInternals;
      const s = saved as PoolingSaved;
      const dy = dOutputs[0];
      if (!dy) return { inputs: [null] };
      const [B, L, C] = s.x.shape;
      const k = ctx.rt.exports;
      const dx = ctx.buf(s.x.shape, true);
      const pad = l.padding === 'same' ? 1 : 0;
      if (bufSize(s.out) > 0) {
        if (isMax) k.max_pool1d_backward(dx.ptr, dy.ptr, s.x.ptr, s.out.ptr, B, L, C, l.poolSize, l.strides, pad);
        else k.avg_pool1d_backward(dx.ptr, dy.ptr, B, L, C, l.poolSize, l.strides, pad);
      }
      return { inputs: [dx] };
    },
  };
}

/** Registers these layers' training code (called by loadTraining(); no import side effects: the package is sideEffects: false). */
export function registerConvTraining(): void {
  registerLayerTraining(Conv1D, conv1d);
  registerLayerTraining(MaxPooling1D, pooling(true));
  registerLayerTraining(AveragePooling1D, pooling(false));
}
