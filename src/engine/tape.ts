// Training execution of a graph: a forward over linear-memory buffers that
// records a tape of node calls, and a backward that walks the tape in
// reverse. Saved activations belong to a call, not to a layer: a shared layer
// (or a Bidirectional's inner layers, a TimeDistributed's inner layer) called
// several times in one step has one record per call. Gradients of a tensor
// that fans out are summed; masks carry no gradient.
// tfjs reference: tfjs-layers engine/executor.ts; Keras: Functional._run_through_graph.
import { InputLayer } from '../layers/input_layer';
import { type Layer, Layer as LayerBase } from '../layers/layer';
import { layerTraining } from '../layers/train_registry';
import type { Regularizer } from '../regularizers';
import { Tensor } from '../tensor';
import type { Graph } from './executor';
import type { Node, SymbolicTensor } from './symbolic';
import {
  type Buf, type TrainBackward, type TrainCallArgs, type TrainContext, type TrainForward, type Trainable, bufSize,
} from './train_types';

/** One node call of a training forward. */
export interface TapeEntry {
  readonly node: Node;
  readonly layer: Layer;
  readonly saved: unknown;
  readonly trainable: boolean;
  readonly args: TrainCallArgs;
  readonly outputs: Buf[];
  /** Set by the trainer when the loss already differentiated through this call's output activation. */
  logitsGradient?: boolean;
}

export function isTrainable(layer: Layer): boolean {
  // Registered training code (layers/train_registry.ts), or a class that defines its own forwardTrain.
  return layerTraining(layer) !== null || Object.getPrototypeOf(layer).forwardTrain !== LayerBase.prototype.forwardTrain;
}

/**
 * Which symbolic tensors of the graph need a gradient: those downstream of a
 * layer with trainable weights. Computed once per graph.
 */
export function gradientPlan(graph: Graph, inputsNeedGrad: readonly boolean[] = []): Set<number> {
  const needs = new Set<number>();
  graph.inputs.forEach((s, i) => {
    if (inputsNeedGrad[i]) needs.add(s.id);
  });
  for (const node of graph.executionNodes) {
    if (node.layer instanceof InputLayer) continue;
    const upstream = node.inbound.some((s) => needs.has(s.id));
    if (upstream || node.layer.trainableWeights.length > 0) for (const o of node.outputs) needs.add(o.id);
  }
  return needs;
}

/** A model used as a layer: it has a graph of its own. */
function isGraph(layer: Layer): layer is Layer & Graph {
  const g = layer as Partial<Graph>;
  return Array.isArray(g.executionNodes) && Array.isArray(g.inputs) && Array.isArray(g.outputs);
}

interface NestedSaved {
  graph: Graph;
  plan: Set<number>;
  tape: TapeEntry[];
}

/**
 * Layers of the graph whose backward the plan needs but which have none:
 * named in the error before any step runs.
 */
export function untrainableLayers(graph: Graph, plan: Set<number>): Layer[] {
  const out: Layer[] = [];
  for (const node of graph.executionNodes) {
    if (node.layer instanceof InputLayer || isTrainable(node.layer)) continue;
    const needed = node.outputs.some((o) => plan.has(o.id));
    if (!needed) continue;
    if (isGraph(node.layer)) {
      const inner = node.layer;
      const innerPlan = gradientPlan(inner, node.inputs.map((s) => plan.has(s.id)));
      for (const l of untrainableLayers(inner, innerPlan)) if (!out.includes(l)) out.push(l);
    } else if (!out.includes(node.layer)) out.push(node.layer);
  }
  return out;
}

export interface ForwardResult {
  outputs: Buf[];
  masks: (Buf | null)[];
  tape: TapeEntry[];
}

/**
 * Runs the graph in training mode on buffers in linear memory (one per model
 * input; `inputMasks` optional) and records the tape.
 */
export function forwardTrain(
  graph: Graph, ctx: TrainContext, inputs: Buf[], plan: Set<number>, inputMasks?: (Buf | null)[],
): ForwardResult {
  const values = new Map<number, Buf>();
  const masks = new Map<number, Buf | null>();
  graph.inputs.forEach((s, i) => {
    values.set(s.id, inputs[i]);
    masks.set(s.id, inputMasks?.[i] ?? null);
  });
  const get = (s: SymbolicTensor): Buf => {
    const v = values.get(s.id);
    if (!v) throw new Error(`${graph.context}: internal: no value for ${s.toString()}.`);
    return v;
  };
  const tape: TapeEntry[] = [];
  for (const node of graph.executionNodes) {
    if (node.layer instanceof InputLayer) continue;
    const layer = node.layer;
    const ins = node.inputs.map(get);
    const optionTensors: Record<string, Buf[]> = {};
    const needsOptionGrad: Record<string, boolean[]> = {};
    for (const [k, v] of Object.entries(node.optionTensors)) {
      const list = Array.isArray(v) ? v : [v];
      optionTensors[k] = list.map(get);
      needsOptionGrad[k] = list.map((s) => plan.has(s.id));
    }
    const inMasks = node.inputs.map((s) => masks.get(s.id) ?? null);
    const args: TrainCallArgs = {
      masks: inMasks,
      optionTensors,
      options: node.options,
      needsInputGrad: node.inputs.map((s) => plan.has(s.id)),
      needsOptionGrad,
    };
    let fw: TrainForward;
    if (isTrainable(layer)) fw = layer.forwardTrain(ctx, ins, args);
    else if (isGraph(layer)) {
      // A nested model records a tape of its own, kept as this call's saved value.
      const innerPlan = gradientPlan(layer, args.needsInputGrad);
      const inner = forwardTrain(layer, ctx, ins, plan.size > 0 ? innerPlan : new Set(), inMasks);
      fw = { outputs: inner.outputs, masks: inner.masks, saved: { graph: layer, plan: innerPlan, tape: inner.tape } satisfies NestedSaved };
    } else fw = eagerForward(layer, ctx, node, ins, args);
    if (fw.outputs.length !== node.outputs.length) {
      throw new Error(`${layer.context}: internal: training forward returned ${fw.outputs.length} outputs, the graph expected ${node.outputs.length}.`);
    }
    const outMasks = fw.masks ?? node.outputs.map((_, i) => (i === 0 && layer.supportsMasking ? inMasks[0] : null));
    node.outputs.forEach((s, i) => {
      values.set(s.id, fw.outputs[i]);
      masks.set(s.id, outMasks[i] ?? null);
    });
    tape.push({ node, layer, saved: fw.saved, trainable: isTrainable(layer) || isGraph(layer), args, outputs: fw.outputs });
  }
  return { outputs: graph.outputs.map(get), masks: graph.outputs.map((s) => masks.get(s.id) ?? null), tape };
}

/**
 * Walks the tape in reverse from the gradients of the graph's outputs (null =
 * that output does not reach the loss); adds weight gradients into the
 * context's accumulators and returns the gradients of the graph's inputs
 * (null where none flows).
 */
export function backwardTape(
  graph: Graph, ctx: TrainContext, tape: TapeEntry[], dOutputs: (Buf | null)[], plan: Set<number>,
): (Buf | null)[] {
  const k = ctx.rt.exports;
  const grads = new Map<number, Buf>();
  const addGrad = (s: SymbolicTensor, g: Buf | null): void => {
    if (!g || !plan.has(s.id)) return;
    const have = grads.get(s.id);
    if (!have) grads.set(s.id, g);
    else k.vec_add_acc(have.ptr, g.ptr, bufSize(have));
  };
  graph.outputs.forEach((s, i) => addGrad(s, dOutputs[i] ?? null));
  for (let e = tape.length - 1; e >= 0; e--) {
    const entry = tape[e];
    const dOuts = entry.node.outputs.map((s) => grads.get(s.id) ?? null);
    const activity = activityRegularizer(entry.layer);
    if (activity && entry.node.outputs.some((s) => plan.has(s.id))) {
      // Keras 3 Layer.__call__: activity_regularizer(output) / batch size joins the loss (trainer), so its
      // gradient joins each output's (keras/src/layers/layer.py).
      entry.outputs.forEach((o, i) => {
        const n = bufSize(o);
        const g = dOuts[i] ?? ctx.buf(o.shape, true);
        dOuts[i] = g;
        const tmp = new Float32Array(n);
        activity.gradient(ctx.rt.heap.f32(o.ptr, n), o.shape, tmp);
        const gv = ctx.rt.heap.f32(g.ptr, n);
        const scale = 1 / (o.shape[0] || 1);
        for (let j = 0; j < n; j++) gv[j] += tmp[j] * scale;
      });
    }
    if (dOuts.every((g) => g === null)) continue;
    if (!entry.trainable) {
      throw new Error(`${entry.layer.context}: training through ${entry.layer.className} layers is not supported yet.`);
    }
    let bw: TrainBackward;
    if (isGraph(entry.layer) && !isTrainable(entry.layer)) {
      const n = entry.saved as NestedSaved;
      bw = { inputs: backwardTape(n.graph, ctx, n.tape, dOuts, n.plan) };
    } else bw = (entry.layer as Layer & Trainable).backward(ctx, entry.saved, dOuts);
    entry.node.inputs.forEach((s, i) => addGrad(s, bw.inputs[i] ?? null));
    if (bw.options) {
      for (const [name, v] of Object.entries(entry.node.optionTensors)) {
        const list = Array.isArray(v) ? v : [v];
        const g = bw.options[name];
        if (g) list.forEach((s, i) => addGrad(s, g[i] ?? null));
      }
    }
  }
  return graph.inputs.map((s) => grads.get(s.id) ?? null);
}

/** A layer's activityRegularizer option, if it has one. */
export function activityRegularizer(layer: Layer): Regularizer | null {
  const r = (layer as unknown as { activityRegularizer?: Regularizer | null }).activityRegularizer;
  return r ?? null;
}

/**
 * Sum of the activity penalties of a forward (Keras 3 divides each by its
 * output's batch size).
 */
export function activityPenalty(ctx: TrainContext, tape: TapeEntry[]): number {
  let total = 0;
  for (const e of tape) {
    const reg = activityRegularizer(e.layer);
    if (!reg) continue;
    for (const o of e.outputs) total += reg.penalty(ctx.rt.heap.f32(o.ptr, bufSize(o)), o.shape) / (o.shape[0] || 1);
  }
  return total;
}

/**
 * A layer without a training forward of its own (it needs no gradient: it
 * sits before anything that trains, e.g. a Masking layer on the input) runs
 * eagerly on copies: inputs leave linear memory as Tensors and its outputs
 * come back into the arena.
 */
function eagerForward(layer: Layer, ctx: TrainContext, node: Node, ins: Buf[], args: TrainCallArgs): TrainForward {
  const heap = ctx.rt.heap;
  const toT = (b: Buf): Tensor => new Tensor(heap.readF32(b.ptr, bufSize(b)), [...b.shape]);
  const opts: Record<string, unknown> = { ...args.options };
  for (const [k, v] of Object.entries(args.optionTensors)) {
    const src = node.optionTensors[k];
    opts[k] = Array.isArray(src) ? v.map(toT) : toT(v[0]);
  }
  if (ctx.training && opts.training === undefined) opts.training = true;
  const tIns = ins.map(toT);
  const tMasks = args.masks.map((m) => (m ? toT(m) : null));
  if (layer.supportsMasking && tMasks.some((m) => m !== null)) opts.mask = node.inputsIsList ? tMasks : tMasks[0];
  const res = layer.call(node.inputsIsList ? tIns : tIns[0], opts);
  const outs = Array.isArray(res) ? res : [res];
  const toBuf = (t: Tensor): Buf => {
    const b = ctx.buf(t.shape);
    const v = heap.f32(b.ptr, t.size);
    const d = t.data;
    for (let i = 0; i < d.length; i++) v[i] = Number(d[i]);
    return b;
  };
  const outMasks = layer.computeMask(tIns, tMasks, outs.length);
  return { outputs: outs.map(toBuf), masks: outMasks.map((m) => (m ? toBuf(m) : null)), saved: null };
}
