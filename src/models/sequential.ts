// Sequential: a linear stack of layers, as keras.Sequential. Its graph is
// built as soon as the input shape is known (a first layer with inputShape /
// batchInputShape, or an Input() given first); otherwise on the first call,
// from the input's shape with an unknown batch dimension. A model built that
// way takes inputs of any shape on later calls (Keras 3's Sequential runs its
// layers on whatever it is given): text of any length through the same model.
// Keras reference: keras/src/models/sequential.py.
import { SymbolicTensor } from '../engine/symbolic';
import { Input, InputLayer } from '../layers/input_layer';
import { type CallOptions, Layer, type Shape } from '../layers/layer';
import { type Tensor, type TensorLike, toTensor } from '../tensor';
import { Model, type ModelInputs, type PredictOptions, SUBCLASS_INIT, isNamedInputs } from './model';
import { type PrintFn, printSummary } from './summary';
import { camelHint, fmt } from '../layers/layer_utils';

export interface SequentialOptions {
  layers?: (Layer | SymbolicTensor)[];
  name?: string;
  trainable?: boolean;
}

/** The options after `new Sequential([...layers], { ... })`. */
export type SequentialExtraOptions = Omit<SequentialOptions, 'layers'>;

const SEQUENTIAL_KEYS = ['layers', 'name', 'trainable'];

export class Sequential extends Model<SymbolicTensor> {
  private stack: Layer[] = [];
  /** The layers of `stack` and their names, for constant-time checks in add(). */
  private members = new Set<Layer>();
  private names = new Set<string>();
  private inputBatchShape: Shape | null = null;
  /** Name and dtype of the Input()/InputLayer given first: every rebuilt graph's input keeps them (Keras keeps the InputLayer itself). */
  private inputSpec: { name?: string; dtype?: SymbolicTensor['dtype'] } = {};
  /** Set while the constructor adds its layers: the graph is built once, after the last. */
  private deferBuild = false;
  /** Whether the input shape was taken from the first data (no shape given): any shape is then accepted. */
  private shapeFromData = false;

  /**
   * A linear stack of layers, as keras.Sequential: `new Sequential([...layers])`,
   * `new Sequential([...layers], { name })` or `new Sequential({ layers, name })`.
   */
  constructor(options?: SequentialOptions);
  constructor(layers: (Layer | SymbolicTensor)[], options?: SequentialExtraOptions);
  constructor(first: SequentialOptions | (Layer | SymbolicTensor)[] = {}, more?: SequentialExtraOptions) {
    const options = sequentialOptions(first, more);
    super({ [SUBCLASS_INIT]: 'Sequential', name: options.name, trainable: options.trainable } as never);
    this.built = false;
    const list = options.layers === undefined ? [] : options.layers;
    if (!Array.isArray(list)) {
      throw new TypeError(`${this.context}: option layers must be an array of layers (or left out), received ${list === null ? 'null' : typeof list}.`);
    }
    // The graph is built once for the whole list (linear in its length; issue #11), not once per layer.
    this.deferBuild = true;
    try {
      list.forEach((l) => this.add(l));
    } finally {
      this.deferBuild = false;
    }
    this.rebuild();
  }

  /** Layers in order (Keras: the InputLayer is not listed). */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** Appends a layer (or, first, an Input() to fix the input shape). */
  add(layer: Layer | SymbolicTensor): void {
    const ctx = this.context;
    if (layer instanceof SymbolicTensor) {
      if (!(layer.node.layer instanceof InputLayer)) {
        throw new Error(`${ctx}: add() takes layers, or Input() as the first element; received ${layer.toString()}.`);
      }
      if (this.stack.length > 0 || this.inputBatchShape) {
        throw new Error(`${ctx}: an Input() can only be the first element of a Sequential model.`);
      }
      this.inputBatchShape = [...layer.shape];
      this.inputSpec = { name: layer.node.layer.name, dtype: layer.dtype };
      if (!this.deferBuild) this.rebuild();
      return;
    }
    if (!(layer instanceof Layer)) throw new TypeError(`${ctx}: add() expects a Layer, received ${fmt(layer)}.`);
    if (layer instanceof InputLayer) {
      if (this.stack.length > 0 || this.inputBatchShape) throw new Error(`${ctx}: an InputLayer can only come first.`);
      this.inputBatchShape = [...layer.batchShape];
      this.inputSpec = { name: layer.name, dtype: layer.dtype };
      if (!this.deferBuild) this.rebuild();
      return;
    }
    if (this.members.has(layer)) throw new Error(`${ctx}: layer '${layer.name}' is already in this model.`);
    if (this.names.has(layer.name)) {
      throw new Error(`${ctx}: all layers must have unique names; '${layer.name}' is already used.`);
    }
    if (this.stack.length === 0 && !this.inputBatchShape && layer.batchInputShape) this.inputBatchShape = [...layer.batchInputShape];
    const wasBuilt = this.built;
    this.stack.push(layer);
    this.members.add(layer);
    this.names.add(layer.name);
    if (this.deferBuild) return;
    try {
      // A built graph grows by one node (constant time); otherwise it is built now.
      if (wasBuilt && this.graphOutputs.length === 1) this.append(layer);
      else this.rebuild();
    } catch (e) {
      this.stack.pop();
      this.members.delete(layer);
      this.names.delete(layer.name);
      // append() leaves the graph as it was; a failed rebuild left none.
      if (!(wasBuilt && this.built)) this.rebuild();
      throw e;
    }
  }

  /** Applies a new last layer to the graph's output and records its node. */
  private append(layer: Layer): void {
    const x = layer.apply(this.graphOutputs[0]);
    if (Array.isArray(x)) {
      const i = layer.inboundNodes.indexOf(x[0].node);
      if (i >= 0) layer.inboundNodes.splice(i, 1);
      throw new Error(`${this.context}: the last layer has several outputs; Sequential models need single-output layers (use the functional Model).`);
    }
    // A new array (not push): code that caches the node list compares it by identity.
    this.nodes = this.nodes.concat(x.node);
    this.graphOutputs = [x];
    this.graphLayers = this.graphLayers.concat(layer);
    if (!this.held.has(layer)) {
      this.held.add(layer);
      layer.modelRefs++;
    }
  }

  /** Removes the last layer. */
  pop(): Layer {
    const l = this.stack.pop();
    if (!l) throw new Error(`${this.context}: pop() on a model with no layers.`);
    this.members.delete(l);
    this.names.delete(l.name);
    this.rebuild();
    return l;
  }

  private rebuild(): void {
    // Drop the previous graph's nodes from the layers, so repeated add()/pop()
    // do not accumulate stale nodes (which would also shift node indices).
    for (const n of this.nodes) {
      const i = n.layer.inboundNodes.indexOf(n);
      if (i >= 0) n.layer.inboundNodes.splice(i, 1);
    }
    this.nodes = [];
    if (!this.inputBatchShape || this.stack.length === 0) {
      this.built = false;
      this.graphLayers = [];
      this.holdGraphLayers();
      return;
    }
    let x: SymbolicTensor | SymbolicTensor[] = Input({ batchShape: this.inputBatchShape, ...this.inputSpec });
    const input = x as SymbolicTensor;
    (input.node.layer as InputLayer).anyShape = this.shapeFromData;
    // Nodes made here are removed from their layers again if the build fails part way.
    const made: SymbolicTensor[] = [];
    try {
      for (const l of this.stack) {
        if (Array.isArray(x)) {
          throw new Error(
            `${this.context}: layer '${l.name}' follows a layer with several outputs; Sequential models need single-output layers (use the functional Model).`,
          );
        }
        x = l.apply(x);
        made.push(Array.isArray(x) ? x[0] : x);
      }
      if (Array.isArray(x)) {
        throw new Error(`${this.context}: the last layer has several outputs; Sequential models need single-output layers (use the functional Model).`);
      }
      this.initGraph(input, x);
    } catch (e) {
      for (const t of made) {
        const i = t.node.layer.inboundNodes.indexOf(t.node);
        if (i >= 0) t.node.layer.inboundNodes.splice(i, 1);
      }
      this.built = false;
      throw e;
    }
    this.graphLayers = this.graphLayers.filter((l) => !(l instanceof InputLayer));
    this.holdGraphLayers();
  }

  /** Builds the graph for inputs of the given shape (batch dimension first, may be null). */
  override build(inputShape?: Shape | Shape[]): void {
    if (this.built) return;
    if (this.stack.length === 0) throw new Error(`${this.context}: cannot build a Sequential model with no layers.`);
    if (!Array.isArray(inputShape) || Array.isArray(inputShape[0])) {
      throw new Error(`${this.context}: build(inputShape) needs one input shape, e.g. [null, 10, 8].`);
    }
    this.inputBatchShape = [...(inputShape as Shape)];
    this.shapeFromData = false;
    this.rebuild();
  }

  protected override ensureBuiltFor(inputs: unknown): void {
    this.ensureBuilt(inputs as ModelInputs);
  }

  private ensureBuilt(inputs: ModelInputs): void {
    if (this.built) return;
    if (this.stack.length === 0) throw new Error(`${this.context}: the model has no layers.`);
    if (isNamedInputs(inputs)) {
      throw new Error(
        `${this.context}: a Sequential without an input shape has no named input yet; pass its first input as a tensor (it builds the model), not by name.`,
      );
    }
    const t: Tensor = toTensor(inputs as TensorLike, `${this.context}: input`);
    if (t.rank === 0) throw new Error(`${this.context}: the input must have a batch dimension, received a scalar.`);
    // Built from the first data with an unknown batch dimension; later calls may have any shape
    // (Keras 3: a Sequential with no input shape runs its layers on whatever it is given).
    this.build([null, ...t.shape.slice(1)]);
    this.shapeFromData = true;
    (this.graphInputs[0].node.layer as InputLayer).anyShape = true;
  }

  override call(inputs: TensorLike | TensorLike[], options: CallOptions = {}): Tensor | Tensor[] {
    this.ensureBuilt(inputs);
    return super.call(inputs, options);
  }

  // Model's overloads (one output: a Tensor), which a Sequential always has.
  override predict(this: Model<SymbolicTensor>, inputs: ModelInputs, options?: PredictOptions): Tensor;
  override predict(this: Model<SymbolicTensor[]>, inputs: ModelInputs, options?: PredictOptions): Tensor[];
  override predict(inputs: ModelInputs, options?: PredictOptions): Tensor | Tensor[];
  override predict(inputs: ModelInputs, options: PredictOptions = {}): Tensor | Tensor[] {
    this.ensureBuilt(inputs);
    return super.predict(inputs, options);
  }

  override countParams(): number {
    return this.stack.reduce((a, l) => a + (l.built ? l.countParams() : 0), 0);
  }

  /** Keras's summary table; before the model is built, Keras 3's '?' shapes and '0 (unbuilt)' counts. */
  override summary(printFn?: PrintFn): void {
    printSummary(this, printFn, { hideInputLayers: true, unbuilt: !this.built });
  }

  override getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      trainable: this.trainable,
      layers: this.stack.map((l) => ({ className: l.className, config: l.getConfig() })),
    };
  }
}

/** Sequential's constructor arguments in either form ([...layers][, options] or { layers, ... }), checked. */
function sequentialOptions(first: unknown, more: unknown): SequentialOptions {
  const o = (Array.isArray(first) ? { ...(more as object), layers: first } : first) as Record<string, unknown>;
  // A second options argument goes only after positional arguments, and must be an object.
  const wrongMore = more !== undefined && (!Array.isArray(first) || more === null || typeof more !== 'object');
  if (wrongMore || o === null || typeof o !== 'object' || o instanceof Layer || o instanceof SymbolicTensor) {
    throw new TypeError(`Sequential: expected a list of layers (one layer too: [layer]) or { layers, name }, received ${fmt(wrongMore ? more : first)}.`);
  }
  for (const k of Object.keys(o)) {
    if (!SEQUENTIAL_KEYS.includes(k)) throw new Error(`Sequential: unknown option '${k}'${camelHint(k, SEQUENTIAL_KEYS)}; supported: ${SEQUENTIAL_KEYS.join(', ')}.`);
  }
  return o as SequentialOptions;
}
