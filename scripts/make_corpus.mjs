// Builds the reproducer corpus of issue #11 (test/fixtures/corpus/): small model files
// derived from the real-world files in ../shared/keras-wild, each made to show one
// problem (a hostile file that must fail fast with our error, or a good file in a
// layout that must load), and corpus.json describing them (what each file is, the
// item it reproduces, and what the test expects). test/io/corpus.test.ts runs them.
//
//   node scripts/make_corpus.mjs [--force] [path/to/keras-wild]     (default: ../shared/keras-wild)
//
// Files already in the corpus are kept (HDF5 stamps objects with the time they were written, so
// rewriting them would change every file); --force rewrites them all. corpus.json is always
// rewritten from the cases below.
//
// Every file is written from the wild file's own config and weights (HDF5 copied group
// by group with h5wasm, archives with fflate), changed only where the case needs it.
// Optimizer and metric variables are dropped to keep the files small.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import h5wasm from 'h5wasm/node';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FORCE = process.argv.includes('--force');
const WILD = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? join(ROOT, '..', 'shared', 'keras-wild');
const OUT = join(ROOT, 'test', 'fixtures', 'corpus');
const TMP = join(tmpdir(), `rnn-wasm-corpus-${process.pid}`);

await h5wasm.ready;
mkdirSync(OUT, { recursive: true });
mkdirSync(TMP, { recursive: true });

/** corpus.json entries. */
const entries = [];
let tmpCounter = 0;

// ---------------------------------------------------------------------------
// HDF5 as plain trees: { attrs: [[name, value]], children: [[name, node]] } for groups,
// { dataset: true, shape, dtype, value, attrs } for datasets.
// ---------------------------------------------------------------------------

function readH5(bytes) {
  const path = join(TMP, `in-${tmpCounter++}.h5`);
  writeFileSync(path, bytes);
  const f = new h5wasm.File(path, 'r');
  const attrsOf = (o) => Object.keys(o.attrs).map((k) => [k, o.attrs[k].value]);
  const visit = (g) => ({
    attrs: attrsOf(g),
    children: g.keys().map((k) => {
      const e = g.get(k);
      if (e instanceof h5wasm.Dataset) return [k, { dataset: true, shape: e.shape, dtype: e.dtype, value: e.value, attrs: attrsOf(e) }];
      return [k, visit(e)];
    }),
  });
  const tree = visit(f);
  f.close();
  rmSync(path);
  return tree;
}

function writeAttrs(o, attrs) {
  for (const [k, v] of attrs) {
    if (Array.isArray(v) && v.length === 0) o.create_attribute(k, new Float64Array(0));
    else o.create_attribute(k, v);
  }
}

function writeTreeInto(g, tree) {
  writeAttrs(g, tree.attrs);
  for (const [k, node] of tree.children) {
    if (node.dataset) {
      const d = g.create_dataset({ name: k, data: node.value, shape: node.shape, dtype: node.dtype });
      writeAttrs(d, node.attrs);
    } else writeTreeInto(g.create_group(k), node);
  }
}

function writeH5(tree) {
  const path = join(TMP, `out-${tmpCounter++}.h5`);
  const f = new h5wasm.File(path, 'w');
  writeTreeInto(f, tree);
  f.close();
  const bytes = new Uint8Array(readFileSync(path));
  rmSync(path);
  return bytes;
}

const child = (tree, name) => tree.children.find(([k]) => k === name)?.[1];
const group = (children = [], attrs = []) => ({ attrs, children });

/** Every dataset and group under `tree` as flat paths (groups with their datasets), for re-nesting. */
function flatGroups(tree, prefix = '') {
  const out = [];
  const datasets = tree.children.filter(([, n]) => n.dataset);
  const groups = tree.children.filter(([, n]) => !n.dataset);
  out.push({ path: prefix, attrs: tree.attrs, datasets });
  for (const [k, n] of groups) out.push(...flatGroups(n, prefix === '' ? k : `${prefix}/${k}`));
  return out;
}

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

function save(name, bytes, entry) {
  const path = join(OUT, name);
  if (FORCE || !existsSync(path)) writeFileSync(path, bytes);
  entries.push({ file: name, bytes: statSync(path).size, ...entry });
}

/** A zip of the members (config.json stored as Keras stores it unless `configLevel` deflates it). */
const keras = (members, configLevel = 0) => zipSync(Object.fromEntries(Object.entries(members).map(([k, v]) => [k, [typeof v === 'string' ? strToU8(v) : v, { level: k.endsWith('.h5') ? 6 : configLevel, mtime: new Date('2024-05-17T05:25:25Z') }]])));

/**
 * Item 10: tf.keras 2.13-2.15 `.keras` layouts, from tf2.15-keras-zip-maskzero-bilstm-ner
 * (Embedding(mask_zero) -> Bidirectional(LSTM) -> Dense). Made small by keeping only the
 * embedding rows its inputs use (token ids renumbered 1..K; row 0, the mask, stays), which
 * leaves every output unchanged; a Dropout and an identity Dense(4) are appended so that
 * two layers share a class (dropout, dense), which the 2.13 numbering names dense, dense_2.
 * Expected outputs: the wild folder's float64 reference, unchanged.
 */
function keras213() {
  const slug = 'tf2.15-keras-zip-maskzero-bilstm-ner';
  const dir = join(WILD, slug);
  const zip = unzipSync(readFileSync(join(dir, 'ner_model.keras')));
  const config = JSON.parse(strFromU8(zip['config.json']));
  const inputs = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8'));
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8'));
  const weights = readH5(zip['model.weights.h5']);
  const layers = child(weights, 'layers');

  // Renumber the tokens the inputs use.
  const used = [...new Set(inputs.input_sets.flatMap((s) => s.inputs[0].data).filter((t) => t !== 0))].sort((a, b) => a - b);
  const newId = new Map(used.map((t, i) => [t, i + 1]));
  const emb = child(child(child(layers, 'embedding'), 'vars'), '0');
  const dim = emb.shape[1];
  const rows = new Float32Array((used.length + 1) * dim);
  rows.set(emb.value.subarray(0, dim), 0);
  used.forEach((t, i) => rows.set(emb.value.subarray(t * dim, (t + 1) * dim), (i + 1) * dim));
  emb.value = rows;
  emb.shape = [used.length + 1, dim];
  const embLayer = config.config.layers.find((l) => l.class_name === 'Embedding');
  embLayer.config.input_dim = used.length + 1;
  const remapped = inputs.input_sets.map((s) => ({ ...s, inputs: s.inputs.map((x) => ({ ...x, data: x.data.map((t) => (t === 0 ? 0 : newId.get(t))) })) }));
  // Inputs (renumbered) and the reference outputs, shared by the four files.
  const ioFile = 'tf2.15-ner.io.json';
  writeFileSync(join(OUT, ioFile), `${JSON.stringify({ source: slug, inputs: remapped, expected: expected.input_sets, tolerance: manifest.tolerance })}\n`);

  // Dropout -> identity Dense(4) after the output layer.
  const last = config.config.output_layers[0][0];
  const units = expected.input_sets[0].outputs[0].shape.at(-1);
  config.config.layers.push(
    { module: 'keras.layers', class_name: 'Dropout', config: { name: 'dropout_9', trainable: true, dtype: 'float32', rate: 0.5, noise_shape: null, seed: null }, registered_name: null, name: 'dropout_9', inbound_nodes: [[[last, 0, 0, {}]]] },
    { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense_9', trainable: true, dtype: 'float32', units, activation: 'linear', use_bias: true, kernel_initializer: null, bias_initializer: null, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null }, registered_name: null, name: 'dense_9', inbound_nodes: [[['dropout_9', 0, 0, {}]]] },
  );
  config.config.output_layers = [['dense_9', 0, 0]];
  const eye = new Float32Array(units * units);
  for (let i = 0; i < units; i++) eye[i * units + i] = 1;
  const vars = (...ds) => group(ds.map((d, i) => [String(i), { dataset: true, shape: d.shape, dtype: '<f', value: d.value, attrs: [] }]));
  const identity = group([['vars', vars({ shape: [units, units], value: eye }, { shape: [units], value: new Float32Array(units) })]]);
  const dropout = group([['vars', group()]]);
  // Layer groups in model.layers order; the wild file already has input_layer, embedding, bidirectional, dense.
  const base = layers.children.map(([k, v]) => [k, v]);

  const cases = [
    { name: 'keras2.13-layer-checkpoint-dependencies.keras', version: '2.13.1', container: '_layer_checkpoint_dependencies', extra: [['dropout', dropout], ['dense_2', identity]], windows: false,
      what: "tf.keras 2.13 layout: the layer container is `_layer_checkpoint_dependencies` and a second layer of a class with weights is numbered _2 (2.13 counted each layer with weights twice: 'layer_with_weights-k' and 'layer-i')" },
    { name: 'keras2.14-layer-checkpoint-dependencies.keras', version: '2.14.0', container: '_layer_checkpoint_dependencies', extra: [['dropout', dropout], ['dense_1', identity]], windows: false,
      what: 'tf.keras 2.14 layout: `_layer_checkpoint_dependencies` with Keras 3 numbering' },
    { name: 'keras2.13-windows-backslash-names.keras', version: '2.13.1', container: '_layer_checkpoint_dependencies', extra: [['dropout', dropout], ['dense_2', identity]], windows: true,
      what: 'tf.keras 2.13 saved on Windows: every group is one flat name joined with backslashes (`_layer_checkpoint_dependencies\\bidirectional\\forward_layer\\cell`)' },
    { name: 'keras2.15-windows-backslash-names.keras', version: '2.15.0', container: 'layers', extra: [['dropout', dropout], ['dense_1', identity]], windows: true,
      what: 'tf.keras 2.15 saved on Windows: `layers\\...` flat backslash-joined group names' },
  ];
  // Item 7: a Keras 3 layout of the same model with a Dense that no output reaches (built, with
  // stored weights): loaded, its memory must be freed at once; and a copy whose reachable
  // output Dense has the wrong kernel shape, which must fail leaving nothing allocated.
  {
    const orphan = JSON.parse(JSON.stringify(config));
    const bidi = orphan.config.layers.find((l) => l.class_name === 'Bidirectional').name;
    orphan.config.layers.push({ module: 'keras.layers', class_name: 'Dense', config: { name: 'orphan', trainable: true, dtype: 'float32', units: 7, activation: 'tanh', use_bias: true }, registered_name: null, name: 'orphan', inbound_nodes: [[[bidi, 0, 0, {}]]] });
    const feat = 2 * child(child(child(child(child(layers, 'bidirectional'), 'forward_layer'), 'cell'), 'vars'), '1').shape[0];
    const orphanWeights = group([['vars', vars({ shape: [feat, 7], value: new Float32Array(feat * 7).fill(0.5) }, { shape: [7], value: new Float32Array(7) })]]);
    const weightsTree = (extra) => writeH5(group([['layers', group([...base, ['dropout', dropout], ['dense_1', identity], ...extra])], ['vars', group()]]));
    const meta = JSON.stringify({ keras_version: '3.8.0', date_saved: '2025-01-01@00:00:00' });
    save('keras-unreachable-dense.keras', keras({ 'metadata.json': meta, 'config.json': JSON.stringify(orphan), 'model.weights.h5': weightsTree([['dense_2', orphanWeights]]) }), {
      item: 7, kind: 'good', source: slug, io: ioFile,
      what: "a Dense 'orphan' built on the Bidirectional output that no model output reaches, with stored weights (was: its WebAssembly memory kept after dispose(), freed only by the garbage collector)",
    });
    const wrong = group([['vars', vars({ shape: [units, units + 1], value: new Float32Array(units * (units + 1)) }, { shape: [units], value: new Float32Array(units) })]]);
    const broken = writeH5(group([['layers', group([...base, ['dropout', dropout], ['dense_1', wrong], ['dense_2', orphanWeights]])], ['vars', group()]]));
    hostile('keras-unreachable-dense-bad-weights.keras', 7, slug, 'the same with a wrong kernel shape for the reachable Dense: the load fails after every layer was built (was: the unreachable layer kept its memory)',
      keras({ 'metadata.json': meta, 'config.json': JSON.stringify(orphan), 'model.weights.h5': broken }),
      ["weights do not match the config", "layer 'dense_9' weight 0 (kernel) should be [4, 4], the file has [4, 5]"]);
  }

  for (const c of cases) {
    const container = group([...base, ...c.extra]);
    let tree;
    if (!c.windows) tree = group([[c.container, container], ['vars', group()]]);
    else {
      // H5IOStore.make(path) on Windows: h5_file.create_group('a\\b\\c').create_group('vars'), one flat group per object.
      const children = [['vars', group()]];
      for (const g of flatGroups(container)) {
        if (!g.path.endsWith('vars')) continue;
        const owner = g.path === 'vars' ? '' : g.path.slice(0, -'/vars'.length);
        const name = [c.container, ...owner.split('/').filter((p) => p !== '')].join('\\');
        children.push([name, group([['vars', group(g.datasets, g.attrs)]])]);
      }
      tree = group(children);
    }
    const bytes = keras({
      'metadata.json': JSON.stringify({ keras_version: c.version, date_saved: '2024-05-17@05:25:25' }),
      'config.json': JSON.stringify(config),
      'model.weights.h5': writeH5(tree),
    });
    save(c.name, bytes, { item: 10, kind: 'good', source: slug, what: c.what, io: ioFile });
  }
}

keras213();

// ---------------------------------------------------------------------------
// Hostile files: a wild file with one change. Each entry says what the loader must
// answer: a ModelLoadError naming the file whose message has every fragment.
// ---------------------------------------------------------------------------

/** A legacy .h5 from a wild file: its tree without optimizer_weights, `edit(config)` applied to model_config. */
function legacyFrom(slug, file, edit, editTree = () => {}) {
  const tree = readH5(readFileSync(join(WILD, slug, file)));
  tree.children = tree.children.filter(([k]) => k !== 'optimizer_weights');
  tree.attrs = tree.attrs.filter(([k]) => k !== 'training_config');
  const at = tree.attrs.findIndex(([k]) => k === 'model_config');
  const config = JSON.parse(tree.attrs[at][1]);
  edit(config);
  tree.attrs[at] = ['model_config', JSON.stringify(config)];
  editTree(tree);
  return writeH5(tree);
}

/** A .keras from a wild archive: members kept, optimizer/metrics variables dropped, `edit(config)` applied. */
function kerasFrom(slug, file, edit, editWeights = () => {}) {
  const zip = unzipSync(readFileSync(join(WILD, slug, file)));
  const config = JSON.parse(strFromU8(zip['config.json']));
  edit(config);
  const tree = readH5(zip['model.weights.h5']);
  tree.children = tree.children.filter(([k]) => k !== 'optimizer' && k !== 'metrics');
  editWeights(tree);
  return keras({ 'metadata.json': zip['metadata.json'], 'config.json': JSON.stringify(config), 'model.weights.h5': writeH5(tree) }, 9);
}

const layerNamed = (config, cls) => config.config.layers.find((l) => l.class_name === cls);

function hostile(name, item, source, what, bytes, fragments) {
  save(name, bytes, { item, kind: 'hostile', source, what, expect: { error: 'ModelLoadError', fragments } });
}

// Item 5: Object.prototype names as class names fail as unknown classes.
for (const name of ['constructor', 'toString', '__proto__']) {
  hostile(`keras-class-${name}.keras`, 5, 'k3.1-gru-keras', `the GRU's class_name set to '${name}' (was: TypeError: name.replace is not a function)`,
    kerasFrom('k3.1-gru-keras', 'gru_model.keras', (c) => { layerNamed(c, 'GRU').class_name = name; }),
    ['unsupported item', `layer class '${name}'`]);
}
hostile('h5-class-constructor.h5', 5, 'k3.4-gru-h5', "the GRU's class_name set to 'constructor' in a legacy .h5",
  legacyFrom('k3.4-gru-h5', 'gru_model.h5', (c) => { layerNamed(c, 'GRU').class_name = 'constructor'; }),
  ['unsupported item', "layer class 'constructor'"]);

// Item 12: messages. A layer's own error names it once; a file's missing weights are a ModelLoadError, not an unsupported feature.
hostile('h5-gru-units-string.h5', 12, 'k3.4-gru-h5', "GRU units: 'x' (was: \"GRU 'gru_1': GRU 'gru_1': option units ...\")",
  legacyFrom('k3.4-gru-h5', 'gru_model.h5', (c) => { layerNamed(c, 'GRU').config.units = 'x'; }),
  ["GRU 'gru_1': option units must be a positive integer, received 'x'."]);
hostile('h5-dense-weights-missing.h5', 12, 'k3.4-gru-h5', "the first Dense's weights group removed (was: reported as an UnsupportedModelError)",
  legacyFrom('k3.4-gru-h5', 'gru_model.h5', () => {}, (tree) => {
    const mw = child(tree, 'model_weights');
    mw.children = mw.children.filter(([k]) => k !== 'dense_6');
  }),
  ["weights do not match the config:\n  - Dense 'dense_6': the config implies at least 10 weight values but the file holds 0 for this layer (no weights entry)"]);

// Item 1: absurd sizes are refused before anything is allocated.
for (const features of [600_000, 2_000_000]) {
  hostile(`h5-input-${features}-features.h5`, 1, 'k3.4-gru-h5',
    `the InputLayer says ${features} features; the stored GRU kernel has 1 row (was: ~8 s and 2-3.4 GB of WebAssembly memory kept before "weights do not match")`,
    legacyFrom('k3.4-gru-h5', 'gru_model.h5', (c) => { layerNamed(c, 'InputLayer').config.batch_shape = [null, 8, features]; }),
    ["GRU 'gru_1'", `[${features}, 96]`, 'larger than any weight the file holds']);
}
hostile('h5-gru-units-1e9.h5', 1, 'k3.4-gru-h5', 'GRU units: 1e9 beside stored weights for 32 units',
  legacyFrom('k3.4-gru-h5', 'gru_model.h5', (c) => { layerNamed(c, 'GRU').config.units = 1e9; }),
  ["GRU 'gru_1'", 'the config implies at least 3000000000000000000 weight values but the file holds 3360']);
hostile('h5-gru-units-20000.h5', 1, 'k3.4-gru-h5', 'GRU units: 20000 (a recurrent kernel of 1.2e9 values; was: minutes of building)',
  legacyFrom('k3.4-gru-h5', 'gru_model.h5', (c) => { layerNamed(c, 'GRU').config.units = 20000; }),
  ["GRU 'gru_1'", 'the config implies at least 1200000000 weight values but the file holds 3360']);
hostile('h5-embedding-input-dim-1e9.h5', 1, 'k2.2.4-embedding-simplernn', 'Embedding input_dim: 1e9 (the stored embeddings, cut to 16 rows here, hold 512 values)',
  legacyFrom('k2.2.4-embedding-simplernn', 'rnn_model.h5', (c) => { (layerNamed(c, 'Embedding') ?? c.config.layers[0]).config.input_dim = 1e9; }, (tree) => {
    const g = child(child(child(tree, 'model_weights'), 'embedding_13'), 'embedding_13');
    const e = child(g, 'embeddings:0');
    e.value = e.value.subarray(0, 16 * e.shape[1]);
    e.shape = [16, e.shape[1]];
  }),
  ["Embedding 'embedding_13'", 'the config implies at least 32000000000 weight values but the file holds 512']);
hostile('keras-repeatvector-n-1e308.keras', 1, 'k3.10-lstm-autoencoder-keras', 'RepeatVector n: 1e308 (was: loaded, then predict threw RangeError)',
  kerasFrom('k3.10-lstm-autoencoder-keras', 'lstm_autoencoder.keras', (c) => { layerNamed(c, 'RepeatVector').config.n = 1e308; }),
  ["RepeatVector 'repeat_vector_1'", 'option n must be a positive integer up to 2147483647']);
hostile('keras-repeatvector-n-3e8.keras', 1, 'k3.10-lstm-autoencoder-keras', 'RepeatVector n: 3e8 (a 32-bit size, but one sample of its output would hold 1.9e10 values)',
  kerasFrom('k3.10-lstm-autoencoder-keras', 'lstm_autoencoder.keras', (c) => { layerNamed(c, 'RepeatVector').config.n = 3e8; }),
  ["RepeatVector 'repeat_vector_1'", 'one sample of its output [null, 300000000, 64]', 'wasm32']);

// Item 2: inflation is bounded by a running byte count; a member's lie is reported.

/** Sets the uncompressed size a zip member declares, in its local header and its central directory entry. */
function declareSize(zip, member, size) {
  const out = zip.slice();
  const v = new DataView(out.buffer);
  const name = strToU8(member);
  const nameAt = (p) => name.every((b, i) => out[p + i] === b);
  let patched = 0;
  for (let p = 0; p + 46 < out.length; p++) {
    const sig = v.getUint32(p, true);
    if (sig === 0x04034b50 && v.getUint16(p + 26, true) === name.length && nameAt(p + 30)) (v.setUint32(p + 22, size, true), patched++);
    if (sig === 0x02014b50 && v.getUint16(p + 28, true) === name.length && nameAt(p + 46)) (v.setUint32(p + 24, size, true), patched++);
  }
  if (patched !== 2) throw new Error(`declareSize: patched ${patched} headers of ${member}`);
  return out;
}

/** The members of k3.1-gru-keras (optimizer variables dropped), `pad` bytes of `fill` appended to one member, all deflated. */
function paddedGru(member, pad, fill, slug = 'k3.1-gru-keras', file = 'gru_model.keras', edit = null) {
  const zip = unzipSync(readFileSync(join(WILD, slug, file)));
  const tree = readH5(zip['model.weights.h5']);
  tree.children = tree.children.filter(([k]) => k !== 'optimizer' && k !== 'metrics');
  let config = zip['config.json'];
  if (edit) {
    const c = JSON.parse(strFromU8(config));
    edit(c);
    config = strToU8(JSON.stringify(c));
  }
  const members = { 'metadata.json': zip['metadata.json'], 'config.json': config, 'model.weights.h5': writeH5(tree) };
  const grown = new Uint8Array(members[member].length + pad).fill(fill);
  grown.set(members[member]);
  members[member] = grown;
  return zipSync(Object.fromEntries(Object.entries(members).map(([k, v]) => [k, [v, { level: 9, mtime: new Date('2024-05-17T05:25:25Z') }]])));
}

const MiB = 1 << 20;
hostile('keras-weights-declares-1mib-inflates-64mib.keras', 2, 'k3.1-gru-keras',
  'model.weights.h5 declares 1 MiB but inflates to 64 MiB (was: every byte inflated, synchronously, and the lie not reported)',
  declareSize(paddedGru('model.weights.h5', 64 * MiB, 0), 'model.weights.h5', MiB),
  [`member 'model.weights.h5' declares ${MiB} bytes uncompressed but inflates to more: stopped at byte ${MiB + 1}`, 'lies about its size']);
hostile('keras-config-declares-1mib-inflates-100mib.keras', 2, 'k3.1-gru-keras',
  "config.json declares 1 MiB but inflates to 100 MiB of spaces (was: a plain 'Cannot create a string longer than' at 600 MB, without the file name)",
  declareSize(paddedGru('config.json', 100 * MiB, 0x20), 'config.json', MiB),
  [`member 'config.json' declares ${MiB} bytes uncompressed but inflates to more: stopped at byte ${MiB + 1}`]);
hostile('keras-config-80mib.keras', 2, 'k3.1-gru-keras', 'config.json honestly declares 80 MiB (a config is at most 64 MiB here): refused before inflating',
  paddedGru('config.json', 80 * MiB, 0x20),
  [`member 'config.json' declares ${80 * MiB + 3472} bytes uncompressed, over the limit of ${64 * MiB}`]);
hostile('keras-weights-honest-96mib.keras', 2, 'k3.1-gru-keras',
  "model.weights.h5 honestly declares 96 MiB beside a GRU(64) and a Dense: far more than the config's layers can hold (was: an honest 1.9 GB member took 23 s and 5.6 GB RSS)",
  paddedGru('model.weights.h5', 96 * MiB, 0),
  ["member 'model.weights.h5' declares", "but the config's layers hold at most", 'refusing to inflate it']);


/**
 * A Keras 2-style config inside a .keras: every build_config (and compile_config) removed and
 * InputLayer batch_shape written as batch_input_shape (tf.keras 2.x's spelling). The weights
 * bound then comes from the input shapes carried through the layers (io/implied.ts).
 */
function keras2Style(c) {
  const walk = (v) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== 'object' || v === null) return;
    delete v.build_config;
    delete v.compile_config;
    if (v.class_name === 'InputLayer' && v.config && v.config.batch_shape) {
      v.config.batch_input_shape = v.config.batch_shape;
      delete v.config.batch_shape;
    }
    Object.values(v).forEach(walk);
  };
  walk(c);
}
hostile('keras-no-build-config-weights-honest-96mib.keras', 2, 'k3.1-gru-keras',
  "a Keras 2-style config (no build_config; InputLayer batch_input_shape [null, 1, 12]) beside a model.weights.h5 that honestly declares 96 MiB: the bound is planned from the input shape (was: only the 6.5 GB maxWeights cap applied, so an honest 1.9 GB member was inflated)",
  paddedGru('model.weights.h5', 96 * MiB, 0, 'k3.1-gru-keras', 'gru_model.keras', keras2Style),
  ["member 'model.weights.h5' declares", "but the config's layers hold at most 17122 weight values", 'refusing to inflate it']);
hostile('keras-functional-no-build-config-weights-honest-96mib.keras', 2, 'k3.8-seq2seq-functional-keras',
  'the seq2seq Functional (two inputs, encoder states into the decoder, TimeDistributed Dense) without any build_config, beside a model.weights.h5 that honestly declares 96 MiB',
  paddedGru('model.weights.h5', 96 * MiB, 0, 'k3.8-seq2seq-functional-keras', 'my_model.keras', keras2Style),
  ["member 'model.weights.h5' declares", "but the config's layers hold at most", 'refusing to inflate it']);
save('keras-no-build-config.keras', kerasFrom('k3.1-gru-keras', 'gru_model.keras', keras2Style), {
  item: 2, kind: 'good', source: 'k3.1-gru-keras', io: 'k3.1-gru.io.json',
  what: 'the same Keras 2-style config (no build_config) with its honest weights: loads, with the reference outputs',
});
{
  const k = 'k3.8-seq2seq-functional-keras';
  save('keras-functional-no-build-config.keras', kerasFrom(k, 'my_model.keras', keras2Style), {
    item: 2, kind: 'good', source: k, io: 'k3.8-seq2seq.io.json',
    what: 'the seq2seq Functional without any build_config, with its honest weights: loads, with the reference outputs',
  });
  const dir = join(WILD, k);
  const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8'));
  writeFileSync(join(OUT, 'k3.8-seq2seq.io.json'), `${JSON.stringify({
    source: k,
    inputs: JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8')).input_sets,
    expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).input_sets,
    tolerance: manifest.tolerance,
  })}\n`);
}

// Item 3: one changed byte makes HDF5 ask for gigabytes; each HDF5 step has a memory budget.
{
  const slug = 'k2.1.2-spatialdropout-lstm';
  const bytes = new Uint8Array(readFileSync(join(WILD, slug, 'rnn_model.h5')));
  // Found by a seeded search of one-byte changes near HDF5 structures: HDF5 then asks for ~1.5 GB
  // while reading the file's attributes (the example: a 1.3 MB file, 2.2 GB and 6 s).
  bytes[23075] = 93;
  hostile('h5-one-byte-asks-1.5gb.h5', 3, slug, 'byte 23075 set to 93: opening the file makes HDF5 grow its memory to ~1.5 GB (was: the load took 2.2 GB and 6 s, then succeeded)', bytes,
    ['cannot open the HDF5 file', 'needed more than its memory budget: HDF5 asked for 14', 'MB of memory, over the', 'the file is corrupt']);
}

// Item 4: files that crash the HDF5 library (a WebAssembly trap in h5wasm), beside good loads.
{
  const slug = 'k3.4-gru-h5';
  const base = new Uint8Array(readFileSync(join(WILD, slug, 'gru_model.h5')));
  save('h5-gru-good.h5', base, { item: 4, kind: 'good', source: slug, what: 'the wild file unchanged: the good load run beside the crashing files' });
  /** `base` with `len` bytes from `from` inserted at `at` (test/io/fuzz_util.ts's splice mutation). */
  const splice = (at, len, from) => {
    const out = new Uint8Array(base.length + len);
    out.set(base.subarray(0, at));
    out.set(base.subarray(from, from + len), at);
    out.set(base.subarray(at), at + len);
    return out;
  };
  // Found by a seeded search of splices: each made h5wasm 0.10 trap ("memory access out of bounds") in a fresh module.
  for (const [at, len, from] of [[35635, 256, 6682], [36655, 288, 46168], [36256, 111, 29859], [35941, 359, 54757]]) {
    save(`h5-crasher-${at}-${len}-${from}.h5`, splice(at, len, from), {
      item: 4, kind: 'crasher', source: slug,
      what: `${len} bytes from ${from} spliced in at ${at}: crashes the HDF5 library; loaded beside good files, which must all load`,
      expect: { error: 'ModelLoadError', fragments: ['cannot open the HDF5 file'] },
    });
  }
}

// Item 6: long and deep configs.
{
  const k = 'k3.1-gru-keras';
  const N = 20_000;
  save(`keras-gru-then-${N}-activations.keras`, kerasFrom(k, 'gru_model.keras', (c) => {
    const at = c.config.layers.findIndex((l) => l.class_name === 'GRU') + 1;
    const chain = Array.from({ length: N }, (_, i) => ({ module: 'keras.layers', class_name: 'Activation', config: { name: `identity_${i}`, trainable: true, dtype: 'float32', activation: 'linear' }, registered_name: null }));
    c.config.layers.splice(at, 0, ...chain);
  }), { item: 6, kind: 'good', source: k, io: 'k3.1-gru.io.json', what: `${N} linear Activation layers inserted after the GRU (was: graph building quadratic in the layer count, and a stack overflow at 100,000)` });
  const dir = join(WILD, k);
  const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8'));
  writeFileSync(join(OUT, 'k3.1-gru.io.json'), `${JSON.stringify({
    source: k,
    inputs: JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8')).input_sets,
    expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).input_sets,
    tolerance: manifest.tolerance,
  })}\n`);
  const zip = unzipSync(readFileSync(join(WILD, k, 'gru_model.keras')));
  const text = strFromU8(zip['config.json']);
  const deep = text.replace('"trainable": true', `"trainable": true, "notes": ${'['.repeat(5000)}${']'.repeat(5000)}`);
  const tree = readH5(zip['model.weights.h5']);
  tree.children = tree.children.filter(([key]) => key !== 'optimizer' && key !== 'metrics');
  hostile('keras-config-nested-5000-deep.keras', 6, k, 'config.json with an array nested 5000 levels deep (was: "not valid JSON (Maximum call stack size exceeded)")',
    keras({ 'metadata.json': zip['metadata.json'], 'config.json': deep, 'model.weights.h5': writeH5(tree) }),
    ['config.json nests arrays and objects deeper than 1000 levels']);
}

writeFileSync(join(OUT, 'corpus.json'), `${JSON.stringify({ generator: 'scripts/make_corpus.mjs', source: '../shared/keras-wild', entries }, null, 1)}\n`);
rmSync(TMP, { recursive: true, force: true });
console.log(`${entries.length} files, ${entries.reduce((a, e) => a + e.bytes, 0)} bytes in ${OUT}`);
