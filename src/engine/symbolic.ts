// Symbolic tensors and graph nodes for functional models, as in Keras:
// Input() makes a SymbolicTensor; layer.apply(symbolic) records a Node and
// returns SymbolicTensors with the layer's output shapes; Model walks the
// nodes. Keras reference: keras/src/ops/node.py, keras/src/models/functional.py.
import type { DType } from '../tensor';
import type { Layer, Shape } from '../layers/layer';

let nextId = 0;

/** A placeholder in a functional model graph: a shape (null = unknown) and where it comes from. */
export class SymbolicTensor {
  readonly id = nextId++;
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    /** The node that produced it (an InputLayer node for model inputs). */
    readonly node: Node,
    /** Index among the node's outputs. */
    readonly index: number,
    /** Whether a mask travels with it (Embedding(maskZero), Masking, RNN sequences...). */
    readonly hasMask: boolean,
    readonly name: string,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `SymbolicTensor(${this.name}, shape=[${this.shape.map((d) => (d === null ? 'None' : d)).join(', ')}])`;
  }
}

/**
 * One application of a layer in a graph. Its inputs are the call's tensor
 * arguments: `inputs`, then symbolic tensors passed in call options (e.g. an
 * RNN's initialState), recorded by name in `optionTensors`.
 */
export class Node {
  readonly outputs: SymbolicTensor[] = [];
  constructor(
    readonly layer: Layer,
    /** Positional input tensors of the call. */
    readonly inputs: SymbolicTensor[],
    /** Whether the call passed a list (vs a single tensor). */
    readonly inputsIsList: boolean,
    /** Symbolic tensors passed as call options, e.g. { initialState: [h, c] }. */
    readonly optionTensors: Record<string, SymbolicTensor | SymbolicTensor[]>,
    /** Non-tensor call options, e.g. { training: false }. */
    readonly options: Record<string, unknown>,
  ) {}

  /** All symbolic tensors this node consumes. */
  get inbound(): SymbolicTensor[] {
    const out = [...this.inputs];
    for (const v of Object.values(this.optionTensors)) out.push(...(Array.isArray(v) ? v : [v]));
    return out;
  }
}

export function isSymbolic(v: unknown): v is SymbolicTensor {
  return v instanceof SymbolicTensor;
}

/** True when v is a SymbolicTensor or an array containing one. */
export function containsSymbolic(v: unknown): boolean {
  if (v instanceof SymbolicTensor) return true;
  return Array.isArray(v) && v.some((x) => x instanceof SymbolicTensor);
}
