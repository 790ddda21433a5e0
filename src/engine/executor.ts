// Graph execution of a functional model (tfjs's engine/executor.ts, Keras's
// Functional._run_through_graph): nodes in topological order, each layer
// called eagerly on the values of its inbound tensors, with Keras mask
// propagation. Training runs the same order on linear-memory buffers and
// records a tape (engine/tape.ts).
import type { Node, SymbolicTensor } from './symbolic';
import { InputLayer } from '../layers/input_layer';
import type { CallOptions } from '../layers/layer';
import type { Tensor } from '../tensor';

/** What the executor needs of a model: its symbolic inputs and outputs and the nodes in execution order. */
export interface Graph {
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  readonly executionNodes: readonly Node[];
  /** Prefix of error messages ("Functional 'model'"). */
  readonly context: string;
}

/**
 * Takes a node's call over: returns the node's outputs, or null to let the
 * layer's own call() run (stream pools run recurrent nodes on their slots).
 */
export type NodeCall = (node: Node, inputs: Tensor[], options: CallOptions) => Tensor[] | null;

/** How a caller other than Model.call runs a graph (stream pools). */
export interface RunHooks {
  callNode?: NodeCall;
  /** The inputs were checked and converted by the caller (a pool's rows are not the Input's batch), so InputLayer.call is skipped. */
  inputsReady?: boolean;
}

/**
 * Runs the graph on concrete inputs (one per model input) and returns the
 * outputs and their masks.
 */
export function runGraph(
  graph: Graph, inputs: Tensor[], training: boolean, hooks: RunHooks = {},
): { outputs: Tensor[]; masks: (Tensor | null)[] } {
  const values = new Map<number, Tensor>();
  const masks = new Map<number, Tensor | null>();
  graph.inputs.forEach((s, i) => {
    values.set(s.id, hooks.inputsReady ? inputs[i] : (s.node.layer as InputLayer).call(inputs[i]));
    masks.set(s.id, null);
  });
  const get = (s: SymbolicTensor): Tensor => {
    const v = values.get(s.id);
    if (!v) throw new Error(`${graph.context}: internal: no value for ${s.toString()}.`);
    return v;
  };
  for (const node of graph.executionNodes) {
    if (node.layer instanceof InputLayer) continue;
    const ins = node.inputs.map(get);
    const inMasks = node.inputs.map((s) => masks.get(s.id) ?? null);
    const opts: CallOptions = { ...node.options };
    for (const [k, v] of Object.entries(node.optionTensors)) opts[k] = Array.isArray(v) ? v.map(get) : get(v);
    if (training) opts.training = true;
    if (node.layer.supportsMasking && inMasks.some((m) => m !== null)) opts.mask = node.inputsIsList ? inMasks : inMasks[0];
    let outs = hooks.callNode?.(node, ins, opts) ?? null;
    if (!outs) {
      const res = node.layer.call(node.inputsIsList ? ins : ins[0], opts);
      outs = Array.isArray(res) ? res : [res];
    }
    if (outs.length !== node.outputs.length) {
      throw new Error(`${node.layer.context}: internal: returned ${outs.length} outputs, the graph expected ${node.outputs.length}.`);
    }
    const outMasks = node.layer.computeMask(ins, inMasks, outs.length);
    node.outputs.forEach((s, i) => {
      values.set(s.id, outs[i]);
      masks.set(s.id, outMasks[i] ?? null);
    });
  }
  return { outputs: graph.outputs.map(get), masks: graph.outputs.map((s) => masks.get(s.id) ?? null) };
}
