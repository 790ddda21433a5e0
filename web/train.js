// The viewer's Train panel: builds a small recurrent model for a dataset, trains it with
// fit() in a Web Worker through examples/worker/'s recipe (train_in_worker.mjs drives
// train_worker.mjs), draws the loss and metric curves as the epochs (and batches) stream
// back, shows one validation sample's hidden-state/gate heatmaps before, during and after
// training, and offers the trained model as a .keras download. Stop ends fit after the
// current batch. The recipe sends the weights after every epoch (epochWeights); the page
// keeps only the newest and redraws the heatmaps from them at most every HEAT_EVERY ms, when
// it is idle, so a fast run (tens of epochs a second) does not flood the page. The curves and the
// log are redrawn at most every CHART_EVERY ms (in an animation frame), however many batch
// and epoch messages came meanwhile.
import { Tensor, Tokenizer, layers, loadModel, padSequences, random, Sequential } from 'rnn-wasm';
import { trainInWorker, workerReady } from '/examples/worker/train_in_worker.mjs';

const $ = (id) => document.getElementById(id);
const VOCAB = 2000; // words kept by the Tokenizer (ids < VOCAB)
const MAXLEN = 60; // tokens per text sample (padSequences, post-truncated)
const VALIDATION = 0.2;
const MAX_EPOCHS = 10_000;
const HEAT_EVERY = 400; // ms between two heatmap redraws during training (at least)
const CHART_EVERY = 100; // ms between two redraws of the curves and the log (at least)

/** A few lines for the paste box, so it trains as it stands. */
const PASTE_SAMPLE = [
  'pos\ta wonderful film with great acting', 'neg\ta dull plot and bad acting', 'pos\ti loved it, great fun',
  'neg\tboring and far too long', 'pos\tthe best film this year', 'neg\tthe worst film i have seen',
  'pos\tgreat music and a lovely story', 'neg\tbad jokes and a dull story', 'pos\tfun, warm and wonderful',
  'neg\ttoo long, boring, bad', 'pos\ta great cast, i loved the story', 'neg\ti hated the dull ending',
].join('\n');

const train = {
  model: null, // the model on show in this panel (untrained, training or trained)
  name: '',
  tokenizerJson: null, // the text tasks' Tokenizer as JSON, for the viewer's text input
  run: null, // the running trainInWorker's { done, stop }
  history: { epochs: [], batches: [] }, // epoch logs; batch points { x, loss, metric }
  epochsWanted: 0,
  stepsPerEpoch: 1,
  metric: 'accuracy',
  log: [], // the training log's lines
};

// ---------------------------------------------------------------- data

/** Deterministic uniform numbers (the library's seeded generator, random.Random), so a dataset is the same on every run. */
function rng(seed) {
  const r = new random.Random(seed);
  return () => r.uniform();
}

const seeded = (className, seed, config = {}) => ({ className, config: { ...config, seed } });

/** The chosen recurrent layer (LSTM, GRU or SimpleRNN), seeded, with Keras's defaults (GRU resetAfter: true). */
function recurrent(cell, units, extra) {
  const Layer = layers[cell];
  return new Layer({ units, kernelInitializer: seeded('GlorotUniform', 2), recurrentInitializer: seeded('Orthogonal', 3), ...extra });
}

/** `label<TAB>text` lines as [label, text] rows; errors name the line. */
function parsePaste(text) {
  const rows = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new Error(`Train: pasted line ${i + 1} has no tab; expected 'label<TAB>text', received '${line.slice(0, 40)}'.`);
    const label = line.slice(0, tab).trim();
    const body = line.slice(tab + 1).trim();
    if (label === '' || body === '') throw new Error(`Train: pasted line ${i + 1} needs both a label and a text, received '${line.slice(0, 40)}'.`);
    rows.push([label, body]);
  });
  if (rows.length < 5) throw new Error(`Train: paste at least 5 lines 'label<TAB>text' (20% are held out for validation), received ${rows.length}.`);
  const classes = [...new Set(rows.map(([l]) => l))].sort();
  if (classes.length < 2) throw new Error(`Train: the pasted lines need at least 2 different labels, received only '${classes[0]}'.`);
  return { classes, rows: rows.map(([l, t]) => [classes.indexOf(l), t]) };
}

/** Text classification: Tokenizer -> padSequences -> Embedding(maskZero) -> cell -> Dense. */
function textTask(name, classes, rows, { cell, units }) {
  const texts = rows.map(([, t]) => t);
  const tok = new Tokenizer({ numWords: VOCAB, oovToken: '<OOV>' });
  tok.fitOnTexts(texts.slice(0, Math.floor(rows.length * (1 - VALIDATION)))); // the vocabulary of the training part only
  const x = padSequences(tok.textsToSequences(texts), { maxlen: MAXLEN, truncating: 'post' });
  const inputDim = Math.min(VOCAB, tok.wordIndex.size + 1);
  const binary = classes.length === 2;
  const model = new Sequential({ layers: [
    new layers.Embedding({ inputDim, outputDim: 16, maskZero: true, inputShape: [MAXLEN], embeddingsInitializer: seeded('RandomUniform', 1, { minval: -0.05, maxval: 0.05 }) }),
    recurrent(cell, units, {}),
    new layers.Dense({ units: binary ? 1 : classes.length, activation: binary ? 'sigmoid' : 'softmax', kernelInitializer: seeded('GlorotUniform', 4) }),
  ] });
  const last = rows.length - 1; // a validation sample (fit holds out the last 20%)
  const ids = Array.from(x.data.subarray(last * MAXLEN, (last + 1) * MAXLEN));
  return {
    name,
    model,
    tokenizerJson: tok.toJson(),
    x,
    y: { data: Float32Array.from(rows, ([l]) => l), shape: [rows.length, 1] },
    loss: binary ? 'binary_crossentropy' : 'sparse_categorical_crossentropy',
    metric: 'accuracy',
    sample: {
      xs: [new Tensor(Int32Array.from(ids), [1, MAXLEN], 'int32')],
      labels: ids.map((i) => (i === 0 ? '·' : tok.indexWord.get(i) ?? `#${i}`)),
      what: `validation email/text ${last + 1} (label '${classes[rows[last][0]]}')`,
    },
  };
}

/** brackets-simplernn's task: the nesting depth after each step of a one-hot bracket string. */
function bracketsTask({ cell, units }) {
  const N = 600;
  const T = 20;
  const rand = rng(11);
  const x = new Float32Array(N * T * 2);
  const y = new Float32Array(N * T);
  const strings = [];
  for (let n = 0; n < N; n++) {
    let depth = 0;
    let s = '';
    for (let t = 0; t < T; t++) {
      const open = depth === 0 || (depth < 6 && rand() < 0.5);
      depth += open ? 1 : -1;
      x[(n * T + t) * 2 + (open ? 0 : 1)] = 1;
      y[n * T + t] = depth;
      s += open ? '(' : ')';
    }
    strings.push(s);
  }
  const model = new Sequential({ layers: [
    recurrent(cell, units, { returnSequences: true, inputShape: [T, 2] }),
    new layers.Dense({ units: 1, kernelInitializer: seeded('GlorotUniform', 4) }),
  ] });
  const last = N - 1;
  return {
    name: `brackets-${cell.toLowerCase()}`,
    model,
    x: { data: x, shape: [N, T, 2] },
    y: { data: y, shape: [N, T, 1] },
    loss: 'mse',
    metric: 'mae',
    sample: { xs: [new Tensor(x.slice(last * T * 2, (last + 1) * T * 2), [1, T, 2])], labels: [...strings[last]], what: `validation string ${strings[last]}` },
  };
}

/** sine-lstm's task: the next clean value of a noisy sine wave at every step. */
function sineTask({ cell, units }) {
  const N = 400;
  const T = 40;
  const rand = rng(12);
  const x = new Float32Array(N * T);
  const y = new Float32Array(N * T);
  for (let n = 0; n < N; n++) {
    const f = 0.15 + 0.45 * rand();
    const phase = 2 * Math.PI * rand();
    const amp = 0.5 + 0.5 * rand();
    for (let t = 0; t < T; t++) {
      const noise = 0.05 * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      x[n * T + t] = amp * Math.sin(f * t + phase) + noise;
      y[n * T + t] = amp * Math.sin(f * (t + 1) + phase);
    }
  }
  const model = new Sequential({ layers: [
    recurrent(cell, units, { returnSequences: true, inputShape: [T, 1] }),
    new layers.Dense({ units: 1, kernelInitializer: seeded('GlorotUniform', 4) }),
  ] });
  const last = N - 1;
  return {
    name: `sine-${cell.toLowerCase()}`,
    model,
    x: { data: x, shape: [N, T, 1] },
    y: { data: y, shape: [N, T, 1] },
    loss: 'mse',
    metric: 'mae',
    sample: { xs: [new Tensor(x.slice(last * T, (last + 1) * T), [1, T, 1])], labels: null, what: `validation wave ${last + 1}` },
  };
}

async function buildTask(dataset, opts) {
  if (dataset === 'spam') {
    const res = await fetch('/web/data/spam-assassin-400.json');
    if (!res.ok) throw new Error(`Train: cannot fetch /web/data/spam-assassin-400.json: HTTP ${res.status}.`);
    const { labels, rows } = await res.json();
    return textTask(`spam-${opts.cell.toLowerCase()}`, labels, rows, opts);
  }
  if (dataset === 'paste') {
    const { classes, rows } = parsePaste($('train-paste').value);
    return textTask(`pasted-${opts.cell.toLowerCase()}`, classes, rows, opts);
  }
  if (dataset === 'brackets') return bracketsTask(opts);
  if (dataset === 'sine') return sineTask(opts);
  throw new Error(`Train: unknown dataset '${dataset}'.`);
}

// ---------------------------------------------------------------- charts

const COLORS = { train: '#3b6fb6', val: '#d1495b', batch: 'rgba(59, 111, 182, 0.35)' };

/**
 * A line chart on a canvas: x in epochs (0..xMax), series of [x, y] points drawn as
 * lines (or dots), y axis from the data (or fixed), a legend in the corner.
 */
function lineChart(canvas, series, xMax, fixedY = null) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  if (ys.length === 0) return;
  let lo = fixedY ? fixedY[0] : Math.min(...ys);
  let hi = fixedY ? fixedY[1] : Math.max(...ys);
  if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
  const pad = { l: 44, r: 10, t: 18, b: 22 };
  const px = (x) => pad.l + (x / Math.max(1, xMax)) * (W - pad.l - pad.r);
  const py = (y) => H - pad.b - ((y - lo) / (hi - lo)) * (H - pad.t - pad.b);
  ctx.strokeStyle = '#bbb';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t);
  ctx.lineTo(pad.l, H - pad.b);
  ctx.lineTo(W - pad.r, H - pad.b);
  ctx.stroke();
  ctx.fillStyle = '#555';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(hi.toPrecision(3), 2, pad.t + 4);
  ctx.fillText(lo.toPrecision(3), 2, H - pad.b);
  ctx.fillText('0', pad.l - 3, H - 6);
  ctx.fillText(`epoch ${xMax}`, W - pad.r - 52, H - 6);
  let lx = W - pad.r;
  for (const s of [...series].reverse()) {
    if (s.points.length === 0 || !s.label) continue;
    const w = ctx.measureText(s.label).width + 22;
    lx -= w;
    ctx.fillStyle = s.color;
    ctx.fillRect(lx, 6, 12, 3);
    ctx.fillStyle = '#333';
    ctx.fillText(s.label, lx + 15, 11);
  }
  for (const s of series) {
    if (s.dots) {
      ctx.fillStyle = s.color;
      for (const [x, y] of s.points) if (Number.isFinite(y)) ctx.fillRect(px(x) - 1.5, py(y) - 1.5, 3, 3);
      continue;
    }
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
    ctx.stroke();
    for (const [x, y] of s.points) ctx.fillRect(px(x) - 2, py(y) - 2, 4, 4);
  }
}

function drawCharts() {
  const { epochs, batches } = train.history;
  const m = train.metric;
  const pts = (key) => epochs.filter((l) => Number.isFinite(l[key])).map((l) => [l.epoch + 1, l[key]]);
  // The x axis spans the run when it is short, else grows with it (500 epochs would squash the first ones).
  const xMax = Math.min(train.epochsWanted, Math.max(10, Math.ceil(epochs.length * 1.5)));
  lineChart($('train-loss-chart'), [
    { label: '', color: COLORS.batch, dots: true, points: batches.map((b) => [b.x, b.loss]) },
    { label: 'loss', color: COLORS.train, points: pts('loss') },
    { label: 'val_loss', color: COLORS.val, points: pts('val_loss') },
  ], xMax);
  lineChart($('train-metric-chart'), [
    { label: '', color: COLORS.batch, dots: true, points: batches.map((b) => [b.x, b.metric]) },
    { label: m, color: COLORS.train, points: pts(m) },
    { label: `val_${m}`, color: COLORS.val, points: pts(`val_${m}`) },
  ], xMax, m === 'accuracy' ? [0, 1] : null);
}

// ---------------------------------------------------------------- redraws during training

const idle = typeof requestIdleCallback === 'function'
  ? { request: (fn) => requestIdleCallback(fn, { timeout: 1000 }), cancel: (id) => cancelIdleCallback(id) }
  : { request: (fn) => setTimeout(fn, 0), cancel: (id) => clearTimeout(id) };

/**
 * Coalesces redraws: schedule() asks for one; draw() runs at most every `every` ms, in an
 * animation frame or (whenIdle) when the page is idle, however often schedule() was called
 * meanwhile; cancel() drops a pending one.
 */
function coalesced(draw, { every, whenIdle = false }) {
  let wanted = false;
  let timer = 0;
  let callback = 0;
  let last = -Infinity;
  const run = () => {
    callback = 0;
    if (!wanted) return;
    wanted = false;
    draw();
    last = performance.now(); // `every` ms from the end of this drawing to the start of the next
  };
  const cancel = () => {
    clearTimeout(timer);
    if (callback) (whenIdle ? idle.cancel(callback) : cancelAnimationFrame(callback));
    timer = callback = 0;
    wanted = false;
  };
  return {
    schedule() {
      wanted = true;
      if (timer || callback) return;
      timer = setTimeout(() => {
        timer = 0;
        callback = whenIdle ? idle.request(run) : requestAnimationFrame(run);
      }, Math.max(0, last + every - performance.now()));
    },
    cancel,
    /** Counts as a draw now (the next scheduled one waits `every` ms). */
    drawn() { last = performance.now(); },
  };
}

/** The curves, the log and its last line in the status. */
function drawProgress() {
  drawCharts();
  const log = $('train-log');
  log.textContent = train.log.join('\n');
  log.scrollTop = log.scrollHeight;
  if (document.body.dataset.train === 'training' && train.log.length > 0) $('train-status').textContent = train.log[train.log.length - 1];
}
const progress = coalesced(drawProgress, { every: CHART_EVERY });

/** The newest epoch's weights not drawn yet, { epoch, weights } (older ones are dropped unseen). */
let newestWeights = null;
let heatDraw = () => {}; // set per run: draws newestWeights' heatmaps
const heat = coalesced(() => heatDraw(), { every: HEAT_EVERY, whenIdle: true });

// ---------------------------------------------------------------- training

function intField(id, what, min, max) {
  const v = Number($(id).value);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`Train: ${what} must be an integer in [${min}, ${max}], received '${$(id).value}'.`);
  return v;
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

function setTrainState(s) {
  document.body.dataset.train = s;
  const busy = s === 'preparing' || s === 'training' || s === 'stopping';
  $('train').disabled = busy;
  $('train-stop').disabled = s !== 'training';
  $('train-download').disabled = s !== 'trained';
  $('train-open').disabled = s !== 'trained';
  for (const id of ['train-data', 'train-cell', 'train-units', 'train-epochs', 'train-batch', 'train-optimizer', 'train-lr', 'train-paste']) $(id).disabled = busy;
}

function fmtLogs(logs) {
  return Object.entries(logs).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ');
}

/**
 * One sample's hidden-state and gate heatmaps for the panel's model (the app's own drawing
 * code); #train-layers[data-epoch] says after how many epochs of training they are.
 */
function showSample(hooks, task, epochs, when) {
  const { traces } = hooks.runWithTraces(train.model, task.sample.xs);
  hooks.showTraces(traces, task.sample.labels, $('train-layers'));
  $('train-heat-note').textContent = `Inside the recurrent layer for ${task.sample.what}, ${when}.`;
  $('train-layers').dataset.epoch = String(epochs);
}

async function startTraining(hooks) {
  if (train.run) return;
  const epochs = intField('train-epochs', 'epochs', 1, MAX_EPOCHS);
  const batchSize = intField('train-batch', 'batch size', 1, 4096);
  const units = intField('train-units', 'units', 1, 128);
  const learningRate = Number($('train-lr').value);
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new Error(`Train: the learning rate must be a positive number, received '${$('train-lr').value}'.`);
  const optimizer = $('train-optimizer').value;
  setTrainState('preparing');
  let worker = null;
  try {
    const task = await buildTask($('train-data').value, { cell: $('train-cell').value, units });
    await nextTask(); // the page paints between the preparation's steps
    train.model?.dispose();
    train.model = task.model;
    train.name = task.name;
    train.tokenizerJson = task.tokenizerJson ?? null;
    train.metric = task.metric;
    train.epochsWanted = epochs;
    const samples = task.y.shape[0];
    train.stepsPerEpoch = Math.ceil(Math.floor(samples * (1 - VALIDATION)) / batchSize); // Keras's validation_split: the first int(n * 0.8) train
    train.history = { epochs: [], batches: [] };
    train.log = [];
    delete document.body.dataset.epochs;
    $('train-metric-caption').textContent = `${task.metric} per epoch (dots: the running mean during each epoch)`;
    $('train-log').textContent = '';
    drawCharts();
    showSample(hooks, task, 0, 'before training');
    heat.drawn();
    await nextTask();
    $('train-status').textContent = `${task.name}: ${samples} samples, ${train.model.countParams().toLocaleString('en')} parameters; starting the worker…`;
    $('train-status').dataset.params = String(train.model.countParams());

    // During training: the newest epoch's weights go into the page's model (fit's own copy is
    // in the worker) and its heatmaps are redrawn from them, when the page is idle.
    heatDraw = () => {
      const got = newestWeights;
      newestWeights = null;
      if (!got || train.run === null) return;
      train.model.setWeights(got.weights);
      showSample(hooks, task, got.epoch + 1, `after epoch ${got.epoch + 1} of ${epochs} (redrawn during training)`);
    };
    worker = new Worker('/examples/worker/train_worker.mjs', { type: 'module' });
    workerReady(worker);
    setTrainState('training');
    train.run = trainInWorker(worker, train.model, task.x, task.y, {
      compile: { optimizer: { className: optimizer, config: { learningRate } }, loss: task.loss, metrics: [task.metric] },
      options: { epochs, batchSize, validationSplit: VALIDATION, seed: 1 },
      epochWeights: true,
      onBatchEnd: (batch, logs) => {
        train.history.batches.push({ x: train.history.epochs.length + (batch + 1) / train.stepsPerEpoch, loss: logs.loss, metric: logs[task.metric] });
        progress.schedule();
      },
      onEpochEnd: (epoch, logs, weights) => {
        train.history.epochs.push({ epoch, ...logs });
        train.log.push(`epoch ${epoch + 1}/${epochs}: ${fmtLogs(logs)}`);
        document.body.dataset.epochs = String(train.history.epochs.length);
        progress.schedule();
        newestWeights = { epoch, weights };
        heat.schedule();
      },
    });
    const history = await train.run.done; // the trained weights are now in train.model
    heat.cancel();
    newestWeights = null;
    progress.cancel();
    drawProgress();
    const ran = history.epoch.length;
    showSample(hooks, task, ran, `after ${ran} epoch${ran === 1 ? '' : 's'} of training`);
    $('train-status').textContent = `${ran < epochs ? `Stopped after epoch ${ran} of ${epochs}` : `Trained ${ran} epochs`}; download the model as ${train.name}.keras, or open it in the viewer above.`;
    setTrainState('trained');
  } catch (e) {
    setTrainState('error');
    throw e;
  } finally {
    heat.cancel();
    progress.cancel();
    newestWeights = null;
    heatDraw = () => {};
    worker?.terminate();
    train.run = null;
  }
}

function stopTraining() {
  if (!train.run) return;
  train.run.stop();
  setTrainState('stopping');
  $('train-status').textContent = 'Stopping after the current batch…';
}

/** The trained model as a .keras file (model.save() without a path gives its bytes). */
async function download() {
  if (!train.model) throw new Error('Train: no trained model to download; press Train first.');
  const bytes = await train.model.save();
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${train.name}.keras`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A copy of the trained model (through its .keras bytes) becomes the viewer's model, with the tokenizer of a text task. */
async function openInViewer(hooks) {
  if (!train.model) throw new Error('Train: no trained model to open; press Train first.');
  const name = `${train.name}.keras (trained here)`;
  const copy = await loadModel(await train.model.save(), { name });
  hooks.openModel(copy, name, train.tokenizerJson);
}

/** Wires the panel; `hooks` are the app's { guarded, runWithTraces, showTraces, openModel }. */
export function wireTrain(hooks) {
  $('train-paste').value = PASTE_SAMPLE;
  const showPaste = () => { $('train-paste-opts').hidden = $('train-data').value !== 'paste'; };
  $('train-data').addEventListener('change', showPaste);
  showPaste();
  setTrainState('idle');
  $('train').disabled = true; // enabled once the library is initialised (enableTrain)
  $('train').addEventListener('click', hooks.guarded(() => startTraining(hooks)));
  $('train-stop').addEventListener('click', stopTraining);
  $('train-download').addEventListener('click', hooks.guarded(download));
  $('train-open').addEventListener('click', hooks.guarded(() => openInViewer(hooks)));
}

export function enableTrain() {
  $('train').disabled = false;
}
