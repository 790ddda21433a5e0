// Keras-style model.summary(), after keras/src/utils/summary_utils.py:
// a table of layers with output shapes and parameter counts, a "Connected
// to" column when the graph is not sequential-like (Keras's rule below), and
// totals with byte sizes.
import type { Node, SymbolicTensor } from '../engine/symbolic';
import { InputLayer } from '../layers/input_layer';
import type { Layer, Shape } from '../layers/layer';
import type { Model } from './model';

export type PrintFn = (line: string) => void;

/** Python's repr of a shape tuple: (None, 3, 2), (5,), (). */
export function formatPythonShape(shape: Shape): string {
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  if (dims.length === 1) return `(${dims[0]},)`;
  return `(${dims.join(', ')})`;
}

/** keras/src/utils/summary_utils.py readable_memory_size. */
export function readableMemorySize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  for (const unit of units) {
    if (size / 1024 < 1) return `${size.toFixed(2)} ${unit}`;
    size /= 1024;
  }
  return `${size.toFixed(2)} ${units[units.length - 1]}`;
}

const thousands = (n: number): string => n.toLocaleString('en-US');

interface Row {
  name: string;
  shape: string;
  params: string;
  connected: string[];
}

function layerParams(layer: Layer): number {
  return layer.built ? layer.weights.reduce((a, w) => a + w.size, 0) : 0;
}

function trainableParams(layer: Layer): number {
  if (!layer.built) return 0;
  return layer.trainableWeights.reduce((a, w) => a + w.size, 0);
}

/**
 * Keras print_summary's `sequential_like`: a Sequential always; a functional model unless some
 * depth of its graph (keras/src/ops/function.py map_graph: the number of layers between a node
 * and the outputs) holds several nodes, a node reads several tensors (initial states included),
 * or a layer is called more than once. So Input -> SimpleRNN(returnState) with outputs
 * [seq, state] is sequential-like (one node per depth), and two Dense on one Input are not.
 */
export function isSequentialLike(nodes: readonly Node[], alwaysSequential: boolean): boolean {
  if (alwaysSequential) return true;
  const depth = new Map<Node, number>();
  const layerDepth = new Map<Layer, number>();
  const inGraph = new Set(nodes);
  // Execution order reversed: every consumer before the nodes it reads (as map_graph's walk).
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    const d = Math.max(depth.get(n) ?? 0, layerDepth.get(n.layer) ?? 0);
    layerDepth.set(n.layer, d);
    depth.set(n, d);
    for (const t of n.inbound) if (inGraph.has(t.node)) depth.set(t.node, Math.max(depth.get(t.node) ?? 0, d + 1));
  }
  const perDepth = new Map<number, number>();
  for (const d of depth.values()) perDepth.set(d, (perDepth.get(d) ?? 0) + 1);
  if ([...perDepth.values()].some((c) => c > 1)) return false;
  if (nodes.some((n) => n.inbound.length > 1)) return false;
  const perLayer = new Map<Layer, number>();
  for (const n of nodes) perLayer.set(n.layer, (perLayer.get(n.layer) ?? 0) + 1);
  return ![...perLayer.values()].some((c) => c > 1);
}

/** The rows and the footer of a summary, as lines. */
export function summaryLines(model: Model, options: { hideInputLayers?: boolean; unbuilt?: boolean } = {}): string[] {
  const nodes = model.executionNodes;
  const layers = model.layers;
  const rows: Row[] = [];
  // Whether the table has no "Connected to" column (Keras: a Sequential always).
  const chain = isSequentialLike(nodes, model.className === 'Sequential');

  const ref = (t: SymbolicTensor): string => `${t.node.layer.name}[${t.node.layer.inboundNodes.indexOf(t.node)}][${t.index}]`;
  for (const layer of layers) {
    if (options.hideInputLayers && layer instanceof InputLayer) continue;
    const own = nodes.filter((n) => n.layer === layer);
    const shapes = own.length > 0 ? own[0].outputs.map((o) => formatPythonShape(o.shape)) : ['?'];
    rows.push({
      name: `${layer.name} (${layer.className})`,
      shape: options.unbuilt ? '?' : shapes.length === 1 ? shapes[0] : `[${shapes.join(', ')}]`,
      // keras/src/utils/summary_utils.py: a layer not built yet shows "0 (unbuilt)".
      params: !layer.built ? '0 (unbuilt)' : thousands(layerParams(layer)),
      connected: own.flatMap((n) => n.inbound.map(ref)),
    });
  }
  const headers = chain ? ['Layer (type)', 'Output Shape', 'Param #'] : ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'];
  const cells = rows.map((r) => (chain ? [[r.name], [r.shape], [r.params]] : [[r.name], [r.shape], [r.params], r.connected.length ? r.connected : ['-']]));
  const minWidths = chain ? [31, 22, 13] : [29, 20, 11, 19];
  const widths = headers.map((h, c) =>
    Math.max(minWidths[c], h.length, ...cells.map((row) => Math.max(...row[c].map((s) => s.length)))),
  );
  const rightAligned = (c: number) => c === 2;
  const pad = (s: string, c: number) => (rightAligned(c) ? s.padStart(widths[c]) : s.padEnd(widths[c]));
  const line = (l: string, m: string, r: string, fill: string) => l + widths.map((w) => fill.repeat(w + 2)).join(m) + r;

  const out: string[] = [];
  out.push(`Model: "${model.name}"`);
  out.push(line('┏', '┳', '┓', '━'));
  out.push('┃' + headers.map((h, c) => ' ' + pad(h, c) + ' ').join('┃') + '┃');
  out.push(line('┡', '╇', '┩', '━'));
  cells.forEach((row, i) => {
    const height = Math.max(...row.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push('│' + row.map((col, c) => ' ' + pad(col[k] ?? '', c) + ' ').join('│') + '│');
    if (i < cells.length - 1) out.push(line('├', '┼', '┤', '─'));
  });
  out.push(line('└', '┴', '┘', '─'));
  const total = layers.reduce((a, l) => a + layerParams(l), 0);
  const trainable = layers.reduce((a, l) => a + trainableParams(l), 0);
  const nonTrainable = total - trainable;
  out.push(` Total params: ${thousands(total)} (${readableMemorySize(total * 4)})`);
  out.push(` Trainable params: ${thousands(trainable)} (${readableMemorySize(trainable * 4)})`);
  out.push(` Non-trainable params: ${thousands(nonTrainable)} (${readableMemorySize(nonTrainable * 4)})`);
  return out;
}

export function printSummary(model: Model, printFn?: PrintFn, options?: { hideInputLayers?: boolean; unbuilt?: boolean }): void {
  if (printFn !== undefined && typeof printFn !== 'function') {
    throw new TypeError(`${model.context}: summary(printFn) expects a function, received ${typeof printFn}.`);
  }
  const print = printFn ?? ((s: string) => console.log(s));
  for (const l of summaryLines(model, options)) print(l);
}
