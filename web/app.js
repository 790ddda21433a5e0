// rnn-wasm model viewer (npm run demo:web): load a Keras model in the page,
// show summary(), run it on an input, and draw each recurrent layer's hidden
// state and gates over time. Plain ES module, no build step; the library
// comes from the import map in index.html.
import { Tensor, backend, init, loadModel, padSequences, random, tokenizerFromJson } from 'rnn-wasm';
import { enableTrain, wireTrain } from './train.js';

const $ = (id) => document.getElementById(id);
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU']);
const SIGMOID_LIKE = new Set(['sigmoid', 'hard_sigmoid', 'hard_sigmoid_keras2']);

/** Example inputs that show what each bundled model does. */
const EXAMPLES = {
  'sentiment-bigru': { file: 'sentiment-bigru.keras', tokenizer: 'sentiment-bigru.tokenizer.json', mode: 'text' },
  'sine-lstm': { file: 'sine-lstm.h5', mode: 'json', json: () => JSON.stringify(Array.from({ length: 40 }, (_, t) => [round(0.8 * Math.sin(0.35 * t), 3)])) },
  'brackets-simplernn': { file: 'brackets-simplernn.keras', mode: 'json', json: () => JSON.stringify([...'(()((()))())((()))'].map((ch) => (ch === '(' ? [1, 0] : [0, 1]))) },
};

const state = { model: null, name: '', tokenizer: null, tokenizerName: '' };

// ---------------------------------------------------------------- status

function setStatus(message, kind = 'error') {
  const el = $('status');
  el.textContent = message;
  el.className = kind;
  el.hidden = !message;
}

function fail(e) {
  console.warn(e); // kept for developers; the page shows the message itself
  // Results of an earlier run would read as this attempt's: the error replaces them.
  clearResults();
  setStatus(e instanceof Error ? e.message : String(e));
  document.body.dataset.state = 'error';
}

/** Empties the output panel and the heatmaps. */
function clearResults() {
  $('input-echo').textContent = '';
  $('output').textContent = '';
  clearCanvas($('output-chart'));
  $('layers').replaceChildren();
}

/** Runs an async UI action, showing any error as a message (never a blank page). */
function guarded(fn) {
  return async (...args) => {
    try {
      setStatus('');
      await fn(...args);
    } catch (e) {
      fail(e);
    }
  };
}

// ---------------------------------------------------------------- loading

/** Shows a newly loaded model; `example` is the picker's key, or '' for a model from files. */
function setModel(model, name, example) {
  state.model?.dispose();
  state.model = model;
  state.name = name;
  // The picker names the model on show: a model from files selects its 'choose an example…' entry.
  $('example').value = example;
  $('load-example').disabled = example === '';
  $('model-name').textContent = `Loaded ${name}: ${model.className} with ${model.layers.length} layers, ${model.countParams().toLocaleString('en')} parameters.`;
  const lines = [];
  model.summary((line) => lines.push(line));
  $('summary').textContent = lines.join('\n');
  describeInputs();
  // Nothing of the previous model stays: its results, and its typed input (a sample for this model instead).
  $('json-input').value = jsonTemplate();
  $('run').disabled = false;
  clearResults();
  document.body.dataset.state = 'loaded';
}

function setTokenizer(json, name) {
  state.tokenizer = json === null ? null : tokenizerFromJson(json);
  state.tokenizerName = name;
  $('tokenizer-name').textContent = name || 'the tokenizer';
  describeInputs();
}

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Cannot fetch ${url}: HTTP ${res.status}.`);
  return new Uint8Array(await res.arrayBuffer());
}

async function loadExample(key) {
  const ex = EXAMPLES[key];
  if (!ex) throw new Error(`Unknown example '${key}'.`);
  document.body.dataset.state = 'loading';
  const base = '/examples/models/';
  const model = await loadModel(await fetchBytes(base + ex.file), { name: ex.file });
  const tok = ex.tokenizer ? await (await fetch(base + ex.tokenizer)).text() : null;
  setModel(model, ex.file, key);
  setTokenizer(tok, ex.tokenizer ?? '');
  if (ex.json) $('json-input').value = ex.json();
  selectMode(ex.mode);
}

const isTfjsJson = (j) => j && typeof j === 'object' && 'modelTopology' in j;
const isTokenizerJson = (j) => j && typeof j === 'object' && j.config && typeof j.config === 'object' && 'word_index' in j.config;

/** Sorts dropped files into a model (Keras file or tfjs model.json + shards) and an optional tokenizer. */
async function loadFiles(fileList) {
  const files = [...fileList];
  if (files.length === 0) return;
  document.body.dataset.state = 'loading';
  const jsons = [];
  for (const f of files.filter((f) => /\.json$/i.test(f.name))) {
    let parsed;
    try {
      parsed = JSON.parse(await f.text());
    } catch (e) {
      throw new Error(`${f.name}: not valid JSON (${e.message}).`);
    }
    jsons.push({ file: f, parsed });
  }
  const modelJson = jsons.find((j) => isTfjsJson(j.parsed));
  const tokJson = jsons.find((j) => isTokenizerJson(j.parsed));
  const unknownJson = jsons.find((j) => j !== modelJson && j !== tokJson);
  if (unknownJson) {
    throw new Error(`${unknownJson.file.name}: expected a tfjs model.json (with "modelTopology") or a Keras Tokenizer JSON (with config.word_index).`);
  }
  const kerasFile = files.find((f) => /\.(keras|h5|hdf5)$/i.test(f.name));
  const shards = files.filter((f) => /\.bin$/i.test(f.name));
  const other = files.find((f) => !/\.(keras|h5|hdf5|json|bin)$/i.test(f.name));
  if (other) throw new Error(`${other.name}: expected a .keras, .h5, model.json, .bin shard or tokenizer .json file.`);
  let model = null;
  let name = '';
  if (kerasFile) {
    name = kerasFile.name;
    model = await loadModel(kerasFile);
  } else if (modelJson) {
    name = modelJson.file.name;
    model = await loadModel({ modelJson: modelJson.parsed, weights: await orderedShards(modelJson.parsed, shards) }, { name });
  } else if (!tokJson) {
    throw new Error('No model among the dropped files: expected a .keras, .h5 or model.json file.');
  }
  if (model) setModel(model, name, '');
  if (tokJson) setTokenizer(JSON.stringify(tokJson.parsed), tokJson.file.name);
  else if (model) setTokenizer(null, '');
  selectMode(state.tokenizer && embeddingInput() ? 'text' : 'random');
}

/** tfjs shards in the order of the manifest's paths (matched by file name). */
async function orderedShards(json, shards) {
  const paths = (json.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  const byName = new Map(shards.map((f) => [f.name, f]));
  const ordered = paths.map((p) => {
    const f = byName.get(p.split('/').pop());
    if (!f) throw new Error(`model.json lists the weight shard '${p}'; drop it together with model.json.`);
    return f;
  });
  return Promise.all(ordered.map(async (f) => new Uint8Array(await f.arrayBuffer())));
}

// ---------------------------------------------------------------- inputs

/** For each model input: its shape and, if an Embedding consumes it, that Embedding. */
function inputInfo() {
  const m = state.model;
  return m.inputs.map((inp) => {
    const node = m.executionNodes.find((n) => n.inputs.includes(inp) && n.layer.className === 'Embedding');
    return { shape: inp.shape, name: inp.node.layer.name, embedding: node ? node.layer : null };
  });
}

function embeddingInput() {
  if (!state.model) return null;
  const info = inputInfo();
  return info.length === 1 && info[0].embedding ? info[0] : null;
}

/** Python's repr of a shape tuple, as Keras prints shapes: (None, 3), (None,), (). */
const fmtShape = (s) => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')}${s.length === 1 ? ',' : ''})`;

function describeInputs() {
  if (!state.model) return;
  const info = inputInfo();
  $('input-shape').textContent = info
    .map((i) => `input '${i.name}' ${fmtShape(i.shape)}${i.embedding ? ` — token ids for ${i.embedding.className} '${i.embedding.name}' (vocabulary ${i.embedding.inputDim})` : ''}`)
    .join('; ');
  const canText = Boolean(embeddingInput());
  $('mode-text').disabled = !canText;
  $('text-mode-label').title = canText
    ? state.tokenizer ? '' : 'No tokenizer: words are read as integer ids'
    : 'Text input needs a single-input model that starts with an Embedding';
  const fixedT = info.every((i) => i.shape.length < 2 || i.shape[1] !== null);
  $('timesteps').disabled = fixedT;
}

function selectMode(mode) {
  const radio = document.querySelector(`input[name="mode"][value="${mode}"]`);
  if (radio && !radio.disabled) radio.checked = true;
  else document.querySelector('input[name="mode"][value="random"]').checked = true;
  showModeOptions();
}

function currentMode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function showModeOptions() {
  const mode = currentMode();
  $('random-opts').hidden = mode !== 'random';
  $('json-opts').hidden = mode !== 'json';
  $('text-opts').hidden = mode !== 'text';
}

/** Deterministic uniform numbers (the library's seeded generator, random.Random), so a seed reproduces an input. */
function rng(seed) {
  const r = new random.Random(seed);
  return () => r.uniform();
}

function intField(id, what, min, max) {
  const v = Number($(id).value);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${what} must be an integer in [${min}, ${max}], received '${$(id).value}'.`);
  return v;
}

/** Random values for one input of the given dims: token ids in [1, vocabulary) for an Embedding, else uniform in [-1, 1). */
function randomValues(rand, n, embedding) {
  if (embedding) {
    const hi = embedding.inputDim;
    return Int32Array.from({ length: n }, () => 1 + Math.floor(rand() * Math.max(1, hi - 1)));
  }
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

/** An input's dims with the batch (unless fixed) set to `batch` and a None timestep axis to T; null if another axis is None. */
function concreteDims(shape, batch, T) {
  const dims = [shape[0] ?? batch, ...shape.slice(1).map((d, i) => (d !== null ? d : i === 0 ? T : null))];
  return dims.includes(null) ? null : dims;
}

function randomInputs() {
  const T = intField('timesteps', 'timesteps', 1, 1000);
  const rand = rng(intField('seed', 'seed', -(2 ** 31), 2 ** 31 - 1));
  return inputInfo().map(({ shape, embedding }) => {
    const dims = concreteDims(shape, 1, T);
    if (!dims) throw new Error(`Cannot make a random input for shape ${fmtShape(shape)}: only the timestep dimension may be None.`);
    const data = randomValues(rand, dims.reduce((a, b) => a * b, 1), embedding);
    return embedding ? new Tensor(data, dims, 'int32') : new Tensor(data, dims);
  });
}

/**
 * A typed-input sample that fits the loaded model (one sample per input, random values
 * rounded to 3 decimals, 8 timesteps where the model leaves them open), so the JSON
 * mode runs as soon as a model is loaded; '' when an input has other open dimensions.
 */
function jsonTemplate() {
  const rand = rng(1);
  const samples = [];
  for (const { shape, embedding } of inputInfo()) {
    const dims = concreteDims([1, ...shape.slice(1)], 1, 8);
    if (!dims) return '';
    const flat = Array.from(randomValues(rand, dims.reduce((a, b) => a * b, 1), embedding), (v) => round(v, 3));
    const nest = (offset, k) => {
      if (k === dims.length) return flat[offset];
      const stride = dims.slice(k + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: dims[k] }, (_, i) => nest(offset + i * stride, k + 1));
    };
    samples.push(nest(0, 1));
  }
  return JSON.stringify(samples.length === 1 ? samples[0] : samples);
}

/** One sample from nested arrays: shape from the nesting, checked against the model input. */
function tensorFromNested(value, info, which) {
  const dims = [];
  for (let v = value; Array.isArray(v); v = v[0]) dims.push(v.length);
  const flat = Array.isArray(value) ? value.flat(Infinity) : [value];
  const n = dims.reduce((a, b) => a * b, 1);
  if (flat.length !== n) throw new Error(`${which}: the nested arrays are ragged (expected ${n} numbers for shape [${dims.join(', ')}], found ${flat.length}).`);
  flat.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${which}: element ${i} is ${JSON.stringify(x)}, expected a finite number.`);
  });
  const want = info.shape.slice(1);
  const shape = [1, ...dims];
  if (dims.length !== want.length || want.some((d, i) => d !== null && d !== dims[i])) {
    throw new Error(`${which}: expected one sample of shape ${fmtShape(want)}, received shape ${fmtShape(dims)}.`);
  }
  if (info.embedding) {
    flat.forEach((x, i) => {
      if (!Number.isInteger(x) || x < 0 || x >= info.embedding.inputDim) {
        throw new Error(`${which}: element ${i} is ${x}; token ids must be integers in [0, ${info.embedding.inputDim - 1}].`);
      }
    });
    return new Tensor(Int32Array.from(flat), shape, 'int32');
  }
  return new Tensor(Float32Array.from(flat), shape);
}

function jsonInputs() {
  let parsed;
  try {
    parsed = JSON.parse($('json-input').value);
  } catch (e) {
    throw new Error(`Typed input is not valid JSON: ${e.message}.`);
  }
  const info = inputInfo();
  if (info.length === 1) return [tensorFromNested(parsed, info[0], `input '${info[0].name}'`)];
  if (!Array.isArray(parsed) || parsed.length !== info.length) {
    throw new Error(`The model has ${info.length} inputs: type a list of ${info.length} samples, one per input (${info.map((i) => `'${i.name}'`).join(', ')}).`);
  }
  return info.map((inf, k) => tensorFromNested(parsed[k], inf, `input '${inf.name}'`));
}

/** Text through the tokenizer (or whitespace-separated integer ids without one), padded to the model's length. */
function textInputs() {
  const info = embeddingInput();
  if (!info) throw new Error('Text input needs a single-input model whose input goes to an Embedding layer.');
  const text = $('text-input').value;
  let ids;
  let tokens;
  if (state.tokenizer) {
    ids = state.tokenizer.textsToSequences([text])[0];
    tokens = ids.map((i) => state.tokenizer.indexWord.get(i) ?? `#${i}`);
  } else {
    tokens = text.trim().split(/[\s,]+/).filter(Boolean);
    ids = tokens.map((t) => {
      const v = Number(t);
      if (!Number.isInteger(v) || v < 0 || v >= info.embedding.inputDim) {
        throw new Error(`Without a tokenizer, type integer token ids in [0, ${info.embedding.inputDim - 1}]; '${t}' is not one. Drop a Keras Tokenizer JSON to type words.`);
      }
      return v;
    });
  }
  if (ids.length === 0) throw new Error('The text gives no tokens (empty, or only characters the tokenizer filters out).');
  const T = info.shape[1];
  // Keras pad_sequences defaults: pre-padding and pre-truncation to the model's fixed length.
  const x = T === null ? new Tensor(Int32Array.from(ids), [1, ids.length], 'int32') : padSequences([ids], { maxlen: T });
  const labels = T === null ? tokens : [...Array(Math.max(0, T - tokens.length)).fill('·'), ...tokens.slice(-T)];
  return { xs: [x], labels, echo: `tokens: ${tokens.map((t, i) => `${t}=${ids[i]}`).join(' ')}` };
}

function buildInputs() {
  const mode = currentMode();
  if (mode === 'text') return textInputs();
  const xs = mode === 'json' ? jsonInputs() : randomInputs();
  return { xs, labels: null, echo: `input ${xs.map((x) => fmtShape(x.shape)).join(', ')}` };
}

// ---------------------------------------------------------------- running

/**
 * Runs the model node by node (the same walk Model.predict does: values and
 * Keras masks passed along) and traces every recurrent layer on the exact
 * input and mask it receives. Bidirectional is traced per direction.
 */
function runWithTraces(model, xs) {
  const values = new Map();
  const masks = new Map();
  model.inputs.forEach((s, i) => {
    values.set(s.id, s.node.layer.call(xs[i]));
    masks.set(s.id, null);
  });
  const get = (s) => values.get(s.id);
  const traces = [];
  for (const node of model.executionNodes) {
    if (node.layer.className === 'InputLayer') continue;
    const ins = node.inputs.map(get);
    const inMasks = node.inputs.map((s) => masks.get(s.id) ?? null);
    const opts = { ...node.options };
    for (const [k, v] of Object.entries(node.optionTensors)) opts[k] = Array.isArray(v) ? v.map(get) : get(v);
    if (node.layer.supportsMasking && inMasks.some((m) => m !== null)) opts.mask = node.inputsIsList ? inMasks : inMasks[0];
    traces.push(...traceNode(node.layer, ins[0], opts));
    const res = node.layer.call(node.inputsIsList ? ins : ins[0], opts);
    const outs = Array.isArray(res) ? res : [res];
    const outMasks = node.layer.computeMask(ins, inMasks, outs.length);
    node.outputs.forEach((s, i) => {
      values.set(s.id, outs[i]);
      masks.set(s.id, outMasks[i] ?? null);
    });
  }
  return { outputs: model.outputs.map(get), traces };
}

function traceNode(layer, x, opts) {
  const mask = opts.mask ?? null;
  if (RECURRENT.has(layer.className)) {
    return [{ title: `${layer.className} '${layer.name}'`, layer, trace: layer.trace(x, { mask, initialState: opts.initialState ?? null }), reversed: layer.goBackwards, mask }];
  }
  if (layer.className === 'Bidirectional') {
    const f = layer.forwardLayer;
    const b = layer.backwardLayer;
    const init = opts.initialState ?? null;
    const fInit = init ? init.slice(0, f.stateCount) : null;
    const bInit = init ? init.slice(f.stateCount) : null;
    return [
      { title: `Bidirectional '${layer.name}' → forward ${f.className} '${f.name}'`, layer: f, trace: f.trace(x, { mask, initialState: fInit }), reversed: f.goBackwards, mask },
      { title: `Bidirectional '${layer.name}' → backward ${b.className} '${b.name}'`, layer: b, trace: b.trace(x, { mask, initialState: bInit }), reversed: b.goBackwards, mask },
    ];
  }
  return [];
}

async function run() {
  if (!state.model) throw new Error('Load a model first.');
  document.body.dataset.state = 'running';
  const { xs, labels, echo } = buildInputs();
  const t0 = performance.now();
  const { outputs, traces } = runWithTraces(state.model, xs);
  const ms = performance.now() - t0;
  $('input-echo').textContent = `${echo} — ran in ${ms.toFixed(1)} ms (${backend()} build)`;
  showOutputs(outputs, xs);
  showTraces(traces, labels);
  document.body.dataset.state = 'done';
}

// ---------------------------------------------------------------- output

const round = (v, d = 4) => Math.round(v * 10 ** d) / 10 ** d;

function showOutputs(outputs, xs) {
  $('output').textContent = outputs
    .map((t, i) => {
      const vals = Array.from(t.data.subarray(0, 400), (v) => v.toFixed(4));
      const more = t.data.length > 400 ? ` … (${t.data.length - 400} more)` : '';
      return `output ${i} ${fmtShape(t.shape)}:\n${wrap(vals)}${more}`;
    })
    .join('\n\n');
  drawOutputChart($('output-chart'), outputs[0], xs.length === 1 ? xs[0] : null);
}

function wrap(vals, perLine = 8) {
  const lines = [];
  for (let i = 0; i < vals.length; i += perLine) lines.push(vals.slice(i, i + perLine).map((v) => v.padStart(9)).join(' '));
  return lines.join('\n');
}

function clearCanvas(c) {
  c.getContext('2d').clearRect(0, 0, c.width, c.height);
}

/**
 * Bars for a vector output, lines over time for a sequence output (first 8
 * channels), with a one-feature float input drawn dashed behind it.
 */
function drawOutputChart(canvas, t, x) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const seq = t.rank === 3;
  const steps = seq ? t.shape[1] : 1;
  const ch = t.shape[t.rank - 1];
  const data = t.data.subarray(0, steps * ch); // sample 0
  const under = seq && x && x.dtype === 'float32' && x.rank === 3 && x.shape[1] === steps && x.shape[2] === 1 ? x.data.subarray(0, steps) : null;
  let lo = Math.min(0, ...data, ...(under ?? []));
  let hi = Math.max(0, ...data, ...(under ?? []));
  if (hi - lo < 1e-9) hi = lo + 1;
  const pad = 24;
  const y = (v) => H - pad - ((v - lo) / (hi - lo)) * (H - 2 * pad);
  ctx.strokeStyle = '#999';
  ctx.beginPath();
  ctx.moveTo(pad, y(0));
  ctx.lineTo(W - 8, y(0));
  ctx.stroke();
  ctx.fillStyle = '#555';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(hi.toPrecision(3), 2, pad - 6);
  ctx.fillText(lo.toPrecision(3), 2, H - 6);
  const colors = ['#3b6fb6', '#d1495b', '#2a9d8f', '#e9a03b', '#6a4c93', '#8ab17d', '#b5838d', '#264653'];
  if (!seq || steps === 1) {
    const n = Math.min(ch, 64);
    const bw = Math.min(48, (W - pad - 8) / n);
    for (let k = 0; k < n; k++) {
      ctx.fillStyle = colors[k % colors.length];
      const v = data[k];
      ctx.fillRect(pad + k * bw + 1, Math.min(y(v), y(0)), Math.max(1, bw - 2), Math.abs(y(v) - y(0)));
    }
    return;
  }
  const dx = (W - pad - 8) / Math.max(1, steps - 1);
  if (under) {
    ctx.strokeStyle = '#aaa';
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    under.forEach((v, s) => (s === 0 ? ctx.moveTo(pad, y(v)) : ctx.lineTo(pad + s * dx, y(v))));
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#777';
    ctx.fillText('dashed: input', W - 80, 12);
  }
  for (let k = 0; k < Math.min(ch, 8); k++) {
    ctx.strokeStyle = colors[k];
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let s = 0; s < steps; s++) {
      const px = pad + s * dx;
      const py = y(data[s * ch + k]);
      if (s === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }
}

// ---------------------------------------------------------------- heatmaps

/** Diverging blue-white-red for values in [-1, 1]. */
function diverging(v) {
  const a = Math.max(-1, Math.min(1, v));
  const lerp = (x, y, f) => Math.round(x + (y - x) * f);
  if (a < 0) return [lerp(247, 33, -a), lerp(247, 102, -a), lerp(247, 172, -a)];
  return [lerp(247, 178, a), lerp(247, 24, a), lerp(247, 43, a)];
}

/** Sequential white-to-purple for values in [0, 1]. */
function sequential(v) {
  const a = Math.max(0, Math.min(1, v));
  const lerp = (x, y) => Math.round(x + (y - x) * a);
  return [lerp(252, 63), lerp(251, 0), lerp(253, 125)];
}

/** How to colour a block: sigmoid-like gates on [0, 1], the rest symmetric around 0. */
function scaleFor(activation, values) {
  if (SIGMOID_LIKE.has(activation)) return { lo: 0, hi: 1, color: (v) => sequential(v) };
  let m = activation === 'tanh' || activation === 'softsign' ? 1 : 0;
  if (m === 0) for (const v of values) m = Math.max(m, Math.abs(v));
  if (m === 0) m = 1;
  return { lo: -m, hi: m, color: (v) => diverging(v / m) };
}

/** Values of one (units x timesteps) block for sample 0, columns in input time order. */
function block(t, offset, U, reversed) {
  const [, T, N] = t.shape;
  const out = new Float32Array(U * T);
  for (let s = 0; s < T; s++) {
    const col = reversed ? T - 1 - s : s;
    for (let u = 0; u < U; u++) out[u * T + col] = t.data[s * N + offset + u];
  }
  return out;
}

function heatmap(title, values, U, T, scale, maskRow, labels) {
  const fig = document.createElement('figure');
  fig.className = 'heatmap';
  const cw = Math.max(4, Math.min(26, Math.floor(640 / T)));
  const chh = Math.max(3, Math.min(14, Math.floor(260 / U)));
  const labelH = labels && cw >= 10 ? 56 : 0;
  const canvas = document.createElement('canvas');
  canvas.width = cw * T + (labelH ? 40 : 0); // room for the last slanted label
  canvas.height = chh * U + 8 + labelH;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${title}: heatmap of ${U} units by ${T} timesteps, values from ${scale.lo} to ${scale.hi}`);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(cw * T, chh * U);
  for (let u = 0; u < U; u++) {
    for (let t = 0; t < T; t++) {
      const [r, g, b] = scale.color(values[u * T + t]);
      for (let yy = 0; yy < chh; yy++) {
        for (let xx = 0; xx < cw; xx++) {
          const p = ((u * chh + yy) * cw * T + t * cw + xx) * 4;
          img.data[p] = r;
          img.data[p + 1] = g;
          img.data[p + 2] = b;
          img.data[p + 3] = 255;
        }
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  // Mask strip: dark = real step, light = padded (masked) step.
  for (let t = 0; t < T; t++) {
    ctx.fillStyle = maskRow && !maskRow[t] ? '#e3e3e3' : '#444';
    ctx.fillRect(t * cw, chh * U + 3, cw - (cw > 6 ? 1 : 0), 4);
  }
  if (labelH) {
    ctx.fillStyle = '#333';
    ctx.font = '11px system-ui, sans-serif';
    labels.forEach((l, t) => {
      ctx.save();
      ctx.translate(t * cw + cw / 2 + 3, chh * U + 12);
      ctx.rotate(Math.PI / 3);
      ctx.fillText(String(l).slice(0, 9), 0, 0);
      ctx.restore();
    });
  }
  const readout = document.createElement('div');
  readout.className = 'readout';
  readout.textContent = '\u00a0';
  canvas.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect();
    const t = Math.floor((((e.clientX - r.left) / r.width) * canvas.width) / cw);
    const u = Math.floor(((e.clientY - r.top) / r.height) * canvas.height / chh);
    readout.textContent = t >= 0 && t < T && u >= 0 && u < U ? `t=${t}${labels ? ` (${labels[t]})` : ''}, unit ${u}: ${values[u * T + t].toFixed(4)}` : '\u00a0';
  });
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  fig.append(cap, canvas, legend(scale), readout);
  return fig;
}

function legend(scale) {
  const wrapEl = document.createElement('div');
  wrapEl.className = 'legend';
  const c = document.createElement('canvas');
  c.width = 160;
  c.height = 10;
  c.setAttribute('aria-hidden', 'true');
  const ctx = c.getContext('2d');
  for (let x = 0; x < c.width; x++) {
    const v = scale.lo + ((scale.hi - scale.lo) * x) / (c.width - 1);
    const [r, g, b] = scale.color(v);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x, 0, 1, c.height);
  }
  const lo = document.createElement('span');
  lo.textContent = round(scale.lo, 3);
  const hi = document.createElement('span');
  hi.textContent = round(scale.hi, 3);
  wrapEl.append(lo, c, hi);
  return wrapEl;
}

function showTraces(traces, labels, root = $('layers')) {
  root.replaceChildren();
  if (traces.length === 0) {
    const p = document.createElement('p');
    p.textContent = 'This model has no SimpleRNN, LSTM or GRU layer (directly or inside Bidirectional) to look into.';
    root.append(p);
    return;
  }
  for (const { title, layer, trace, reversed, mask } of traces) {
    const sec = document.createElement('section');
    sec.className = 'layer';
    sec.dataset.layer = layer.name;
    const h = document.createElement('h3');
    h.textContent = title;
    const note = document.createElement('p');
    note.className = 'muted';
    const [, T] = trace.outputs.shape;
    const U = layer.units;
    note.textContent = `${U} units × ${T} timesteps${reversed ? '; this direction reads the sequence backwards, shown here in input order' : ''}.`;
    const maskRow = mask ? Array.from({ length: T }, (_, t) => mask.data[t] !== 0) : null;
    const hVals = block(trace.outputs, 0, U, reversed);
    sec.append(h, note, heatmap('hidden state h', hVals, U, T, scaleFor(layer.activation, hVals), maskRow, labels));
    if (layer.className !== 'SimpleRNN') {
      const gates = document.createElement('div');
      gates.className = 'gates';
      trace.gateNames.forEach((g, k) => {
        const vals = block(trace.gates, k * U, U, reversed);
        const candidate = g === 'c' || g === 'h';
        const act = candidate ? layer.activation : layer.recurrentActivation;
        gates.append(heatmap(`gate ${g} (${gateLabel(layer.className, g)})`, vals, U, T, scaleFor(act, vals), maskRow, null));
      });
      sec.append(gates);
    }
    root.append(sec);
  }
}

function gateLabel(cls, g) {
  const names = cls === 'LSTM'
    ? { i: 'input', f: 'forget', c: 'candidate cell', o: 'output' }
    : { z: 'update', r: 'reset', h: 'candidate' };
  return names[g] ?? g;
}

// ---------------------------------------------------------------- wiring

function wire() {
  $('model-file').addEventListener('change', guarded(async (e) => {
    await loadFiles(e.target.files);
    e.target.value = '';
  }));
  const zone = $('dropzone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', guarded(async (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    await loadFiles(e.dataTransfer.files);
  }));
  // Dropping outside the zone must not navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  $('load-example').addEventListener('click', guarded(() => loadExample($('example').value)));
  $('example').addEventListener('change', () => {
    $('load-example').disabled = $('example').value === '';
  });
  $('run').addEventListener('click', guarded(run));
  for (const r of document.querySelectorAll('input[name="mode"]')) r.addEventListener('change', showModeOptions);
  $('text-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') $('run').click();
  });
  wireTrain({
    guarded, fail, runWithTraces, showTraces,
    // The Train panel hands a copy of its trained model (and its tokenizer's JSON) to the panels above.
    openModel: (model, name, tokenizerJson) => {
      setModel(model, name, '');
      setTokenizer(tokenizerJson, tokenizerJson === null ? '' : `${name}'s tokenizer`);
      selectMode(state.tokenizer && embeddingInput() ? 'text' : 'random');
      $('model-panel').scrollIntoView({ behavior: 'smooth' });
    },
  });
  window.addEventListener('unhandledrejection', (e) => fail(e.reason));
  window.addEventListener('error', (e) => fail(e.error ?? e.message));
}

async function main() {
  wire();
  showModeOptions();
  await init();
  $('backend').textContent = `WebAssembly ${backend()} build ready.`;
  enableTrain();
  document.body.dataset.state = 'ready';
}

main().catch(fail);
