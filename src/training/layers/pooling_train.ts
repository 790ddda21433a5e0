// Training forward/backward of GlobalAveragePooling1D and GlobalMaxPooling1D
// (layers/convolutional.ts), loaded with the training code.
import { type Buf, type TrainCallArgs, type TrainContext } from '../../engine/train_types';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from '../../layers/convolutional';
import { type LayerTraining, registerLayerTraining } from '../../layers/train_registry';
import { formatShape } from '../../tensor';

interface GlobalPoolingInternals {
  readonly context: string;
  readonly className: string;
  readonly supportsMasking: boolean;
  readonly keepdims: boolean;
  runKernel(out: number, x: number, mask: number, B: number, L: number, C: number): void;
}

const globalPooling: LayerTraining<unknown> = {
  /** Training forward: the eager kernel on the arena buffers (GlobalAveragePooling1D honours the mask). */
  forwardTrain(layer, ctx: TrainContext, inputs: Buf[], args: TrainCallArgs) {
    const l = layer as GlobalPoolingInternals;
    const x = inputs[0];
    if (x.shape.length !== 3) throw new Error(`${l.context}: expected input of rank 3 (batch, steps, channels), received shape ${formatShape(x.shape as number[])}.`);
    const [B, L, C] = x.shape;
    const mask = l.supportsMasking ? args.masks[0] : null;
    const out = ctx.buf(l.keepdims ? [B, 1, C] : [B, C]);
    l.runKernel(out.ptr, x.ptr, mask ? mask.ptr : 0, B, L, C);
    return { outputs: [out], masks: [null], saved: { x, mask } };
  },
  /**
   * Average: dX[b, t] = dY[b] * m[b, t] / Σ_t m[b, t] (m = 1 without a mask);
   * Max: dY[b, c] to the first step holding the maximum (TensorFlow's reduce_max
   * gradient splits ties evenly; ties of floats are rare and Keras's backends differ).
   */
  backward(layer, ctx: TrainContext, saved: unknown, dOutputs: (Buf | null)[]) {
    const l = layer as GlobalPoolingInternals;
    const s = saved as { x: Buf; mask: Buf | null };
    const dy = dOutputs[0];
    if (!dy) return { inputs: [null] };
    const [B, L, C] = s.x.shape;
    const heap = ctx.rt.heap;
    const dx = ctx.buf(s.x.shape, true);
    const g = heap.f32(dy.ptr, B * C);
    const xv = heap.f32(s.x.ptr, B * L * C);
    const d = heap.f32(dx.ptr, B * L * C);
    const m = s.mask ? heap.f32(s.mask.ptr, B * L) : null;
    if (l.className === 'GlobalAveragePooling1D') {
      for (let b = 0; b < B; b++) {
        let count = 0;
        for (let t = 0; t < L; t++) count += m ? (m[b * L + t] ? 1 : 0) : 1;
        for (let t = 0; t < L; t++) {
          if (m && !m[b * L + t]) continue;
          for (let c = 0; c < C; c++) d[(b * L + t) * C + c] = g[b * C + c] / count;
        }
      }
    } else {
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < C; c++) {
          let best = 0;
          for (let t = 1; t < L; t++) if (xv[(b * L + t) * C + c] > xv[(b * L + best) * C + c]) best = t;
          d[(b * L + best) * C + c] = g[b * C + c];
        }
      }
    }
    return { inputs: [dx] };
  },
};

/** Registers these layers' training code (called by loadTraining(); no import side effects: the package is sideEffects: false). */
export function registerPoolingTraining(): void {
  registerLayerTraining(GlobalAveragePooling1D, globalPooling);
  registerLayerTraining(GlobalMaxPooling1D, globalPooling);
}
