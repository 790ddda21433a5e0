#!/usr/bin/env node
// rnn-wasm benchmark suite: ours vs TensorFlow.js (cpu, wasm), onnxruntime-web
// (wasm) and onnxruntime-node, all in this one Node process.
//
//   node bench/run.mjs                                   all workloads, all peers -> bench/RESULTS.md
//   node bench/run.mjs --workloads W2 --peers ours,ort-node
//   node bench/run.mjs --workloads W2-GRU,W3 --scale 0.5 --out /tmp/r.md
//   node bench/run.mjs --only-load --out /tmp/load.md
//   node bench/run.mjs --only-train --workloads TR2,TR4 --scale 0.5 --out /tmp/train.md
//
// Options:
//   --workloads LIST  W1..W4 or cases like W2-GRU (default all)
//   --peers LIST      ours,tfjs-cpu,tfjs-wasm,ort-web,ort-node (default all)
//   --scale X         multiply every per-peer time budget by X (default 1)
//   --rounds N        interleaved rounds per case (default 3)
//   --tol X           absolute tolerance of the output checks (default 1e-4)
//   --out FILE        write the Markdown report there (default: bench/RESULTS.md,
//                     but only for a full run; a subset run writes only with --out)
//   --no-write        never write the report
//   --check-only      run the correctness checks, no timing
//   --only-size       only bench/size.mjs (download size, start-up): replace its section in RESULTS.md (or --out)
//   --only-load       only bench/load.mjs (model loading): replace its section in RESULTS.md (or --out);
//                     with --only-size too, both sections
//   --only-train      only bench/train.mjs (training steps vs tfjs and PyTorch's recording): replace its
//                     section in RESULTS.md (or --out); --workloads (TR1..TR5), --peers
//                     (ours,tfjs-cpu,tfjs-wasm), --scale and --rounds apply to it (~10 min in full)
//   --include-slow    with --only-train: also run tfjs-cpu on TR2/TR3 (minutes per step)
//   --threads N       only the threads comparison (#14): W2-W4 (or --workloads) with ours on 1
//                     thread, ours-Nt (init({ threads: N }), the CommonJS build beside the ESM one),
//                     onnxruntime-web with N threads and onnxruntime-node with 1 and N; replaces the
//                     "## Threads" section of RESULTS.md (or --out); then the training steps of TR2-TR5
//                     (or --train-workloads LIST) with ours on 1 and N threads (N = 2 or 4)
//
// A full run (no --workloads, --peers or --only-*) also appends all three sections.
//
// Per case (workload × cell): every peer is prepared outside the timed region
// (weights set, input converted to the peer's own format), its output is
// checked against a float64 reference and against the other peers, and only
// peers that pass are timed. Timing is benchmark.js, interleaved across peers
// in rounds; the figure is the median of all benchmark.js samples.
import { benchArgs } from './args.mjs';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { cases, flops, STREAM_CHECK_STEPS } from './workloads.mjs';
import {
  makeWeights, makeInput, gruResetBeforeWeights, referenceForward, maxAbsDiffRows, maxAbsDiff,
} from './reference.mjs';
import { makeOurs, ours } from './peers/ours.mjs';
import { tfjsCpu, tfjsWasm } from './peers/tfjs.mjs';
import { makeOrtPeer, ortNode, ortWeb } from './peers/ort.mjs';
import { sizeAndStartup } from './size.mjs';
import { modelLoading } from './load.mjs';
import { modelTraining } from './train.mjs';
import { cpuLabel } from './machine.mjs';

const require = createRequire(import.meta.url);
const Benchmark = require('benchmark');

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ALL_PEERS = [ours, tfjsCpu, tfjsWasm, ortWeb, ortNode];

// ---------------------------------------------------------------- CLI

function parseArgs(argv) {
  const a = benchArgs(argv, {
    tol: { type: 'string' }, 'no-write': { type: 'boolean' }, 'check-only': { type: 'boolean' },
    'only-size': { type: 'boolean' }, 'only-load': { type: 'boolean' }, 'only-train': { type: 'boolean' },
    threads: { type: 'string' }, 'train-workloads': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, 'bench/run (try --help)');
  const v = a.values;
  if (v.help) {
    const lines = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
    console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
    process.exit(0);
  }
  return {
    ...a, tol: v.tol === undefined ? 1e-4 : Number(v.tol), write: !v['no-write'], checkOnly: v['check-only'] === true,
    onlySize: v['only-size'] === true, onlyLoad: v['only-load'] === true, onlyTrain: v['only-train'] === true,
    threads: v.threads === undefined ? undefined : Number(v.threads),
  };
}

// ---------------------------------------------------------------- helpers

const fmtTime = (s) => {
  if (!Number.isFinite(s)) return '—';
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(s < 1e-2 ? 3 : 2)} ms`;
  return `${s.toFixed(3)} s`;
};
const fmtNum = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const fmtRatio = (x) => (!Number.isFinite(x) ? '—' : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));
const fmtGf = (x) => (!Number.isFinite(x) ? '—' : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));
const fmtDiff = (x) => (x === undefined ? '—' : Number.isFinite(x) ? x.toExponential(1) : 'NaN/∞');
const now = () => performance.now() / 1e3;

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function allFinite(a) {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** One benchmark.js run of `fn` (sync) or `fn` returning a Promise (deferred). */
function benchRun(name, fn, isAsync, maxTime) {
  return new Promise((resolve, reject) => {
    let failure = null;
    const options = {
      maxTime,
      minSamples: 1,
      initCount: 1,
      onComplete() {
        if (failure || this.error) reject(failure || this.error);
        else resolve({ sample: this.stats.sample.slice(), count: this.count, cycles: this.cycles });
      },
      onError(e) { failure = e.target?.error ?? e; },
    };
    const bench = isAsync
      ? new Benchmark(name, {
        ...options,
        defer: true,
        fn(deferred) {
          fn().then(() => deferred.resolve(), (e) => { failure = e; deferred.benchmark._original.abort(); deferred.resolve(); });
        },
      })
      : new Benchmark(name, fn, options);
    bench.on('abort', () => { if (failure) reject(failure); });
    bench.run({ async: true });
  });
}

// ---------------------------------------------------------------- main

/** md followed by every "## " section of `old` whose heading md lacks (written by other scripts), in old's order. */
function keepOtherSections(md, old) {
  const headings = new Set(md.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.trim()));
  let out = md;
  for (const m of old.matchAll(/^## .*$/gm)) {
    const heading = m[0].trim();
    if (headings.has(heading)) continue;
    const next = old.indexOf('\n## ', m.index + 1);
    out = withSection(out, heading, old.slice(m.index, next < 0 ? undefined : next + 1).trimEnd() + '\n');
  }
  return out;
}

/**
 * md with its section headed by the line `heading` (e.g. "## Size and start-up")
 * replaced by (or, when absent, followed by) `section`; the section runs to the next "## " line.
 */
function withSection(md, heading, section) {
  const m = new RegExp(`^${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \\t]*$`, 'm').exec(md);
  if (!m) return md.trim() ? `${md.trimEnd()}\n\n${section}` : section;
  const start = m.index;
  const next = md.indexOf('\n## ', start + 1);
  return `${md.slice(0, start)}${section.trimEnd()}\n${next < 0 ? '' : md.slice(next)}`;
}

const SIZE_HEADING = '## Size and start-up';
const LOAD_HEADING = '## Model loading';
const TRAIN_HEADING = '## Training';
const THREADS_HEADING = '## Threads';

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.threads !== undefined) return threadsRun(args);
  if (args.onlySize || args.onlyLoad || args.onlyTrain) {
    const file = args.out ?? path.join(HERE, 'RESULTS.md');
    const sections = [];
    let failed = false;
    if (args.onlySize) sections.push([SIZE_HEADING, await sizeAndStartup()]);
    if (args.onlyLoad) sections.push([LOAD_HEADING, await modelLoading({ log: (l) => console.log(l) })]);
    if (args.onlyTrain) {
      const tr = await modelTraining({
        workloads: args.workloads, peers: args.peers, scale: args.scale, rounds: args.rounds, includeSlow: args.includeSlow,
        argv: process.argv.slice(2).filter((x, i, a) => x !== '--only-train' && x !== '--out' && a[i - 1] !== '--out'),
        log: (l) => console.log(l),
      });
      failed = tr.failed;
      sections.push([TRAIN_HEADING, tr.markdown]);
    }
    for (const [, section] of sections) console.log(section);
    if (args.write) {
      let md = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      for (const [heading, section] of sections) md = withSection(md, heading, section);
      fs.writeFileSync(file, md);
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
    }
    process.exit(failed ? 2 : 0); // tfjs may keep handles open
  }
  const allCases = cases();
  const selectedCases = args.workloads
    ? allCases.filter((c) => args.workloads.some((w) => w === c.workload || w === c.id))
    : allCases;
  if (!selectedCases.length) throw new Error(`no workload matches ${args.workloads}`);
  const peerIds = args.peers ?? ALL_PEERS.map((p) => p.id);
  for (const id of peerIds) {
    if (!ALL_PEERS.some((p) => p.id === id)) {
      throw new Error(`unknown peer ${id} (known: ${ALL_PEERS.map((p) => p.id).join(', ')})`);
    }
  }
  const fullRun = !args.workloads && !args.peers;
  const outFile = !args.write ? null : args.out ?? (fullRun ? path.join(HERE, 'RESULTS.md') : null);

  const startedAt = new Date();
  const t0 = now();
  const machine = {
    cpu: cpuLabel(),
    cores: os.cpus().length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    mem: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
  };
  console.log(`rnn-wasm bench — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
  console.log(`cases: ${selectedCases.map((c) => c.id).join(' ')}`);

  // -- initialise peers (in this one process)
  const peers = [];
  const skipped = [];
  for (const p of ALL_PEERS.filter((q) => peerIds.includes(q.id))) {
    try {
      const info = await p.init();
      peers.push({ ...p, version: info.version });
      console.log(`  peer ${p.id.padEnd(9)} ${info.version}`);
    } catch (e) {
      skipped.push({ id: p.id, reason: e.message ?? String(e) });
      console.log(`  peer ${p.id.padEnd(9)} SKIPPED: ${e.message ?? e}`);
    }
  }
  if (!peers.length) throw new Error('no peer could be initialised');
  const hasOurs = peers.some((p) => p.id === 'ours');

  const results = [];
  for (const cs of selectedCases) {
    results.push(await runCase(cs, peers, args, hasOurs));
  }

  const elapsed = now() - t0;
  console.log(`\n${renderStdoutTable(results)}`);
  console.log(`total ${elapsed.toFixed(0)} s`);
  if (outFile) {
    let md = renderMarkdown({ results, machine, peers, skipped, args, startedAt, elapsed, fullRun });
    if (fullRun) {
      try {
        md = withSection(md, SIZE_HEADING, await sizeAndStartup());
      } catch (e) {
        console.log(`size and start-up: SKIPPED: ${e.message ?? e}`);
      }
      try {
        console.log('\n== model loading (bench/load.mjs)');
        md = withSection(md, LOAD_HEADING, await modelLoading({ log: (l) => console.log(l) }));
      } catch (e) {
        console.log(`model loading: SKIPPED: ${e.message ?? e}`);
      }
      try {
        console.log('\n== training (bench/train.mjs)');
        md = withSection(md, TRAIN_HEADING, (await modelTraining({ log: (l) => console.log(l) })).markdown);
      } catch (e) {
        console.log(`training: SKIPPED: ${e.message ?? e}`);
      }
    }
    // Sections other scripts write (Streams, Service under load, Threads) are kept as they were.
    if (fs.existsSync(outFile)) md = keepOtherSections(md, fs.readFileSync(outFile, 'utf8'));
    fs.writeFileSync(outFile, md);
    console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
  } else if (args.write) {
    console.log('(subset run: report not written; pass --out FILE to write one)');
  }
  // onnxruntime / tfjs may keep handles open
  process.exit(results.some((r) => r.rows.some((x) => x.status === 'mismatch')) ? 2 : 0);
}

async function runCase(cs, peers, args, hasOurs) {
  const { id, cell, B, F, U, stream } = cs;
  const T = stream ? STREAM_CHECK_STEPS : cs.T;
  const flopCount = flops(cs);
  console.log(`\n== ${id}: ${cs.title}, ${cell} B=${B} T=${cs.T} F=${F} U=${U}` +
    ` (${(flopCount / 1e6).toFixed(2)} MFLOP/call)`);

  // -- data: one seed per case so each case is reproducible on its own
  const seed = [...id].reduce((s, ch) => (s * 31 + ch.charCodeAt(0)) >>> 0, 7);
  const weights = makeWeights(cell, F, U, { resetAfter: true, seed });
  const x = makeInput(B * T * F, seed + 1);
  const variants = { main: { resetAfter: true, weights } };
  if (cell === 'GRU') variants.raf = { resetAfter: false, weights: gruResetBeforeWeights(weights) };

  // -- rows: (peer, variant)
  const rows = [];
  for (const p of peers) {
    const variant = cell === 'GRU' && !p.supportsGruResetAfter ? 'raf' : 'main';
    rows.push({ peer: p, variant });
  }
  if (cell === 'GRU' && hasOurs && rows.some((r) => r.variant === 'raf')) {
    rows.push({ peer: peers.find((p) => p.id === 'ours'), variant: 'raf' });
  }
  for (const r of rows) {
    r.name = r.peer.id + (r.variant === 'raf' ? ' (resetAfter:false)' : '');
  }

  // -- float64 reference on a few batch rows (peers are compared on all rows with each other)
  const refRows = [...new Set([0, 1, Math.floor(B / 2), B - 1].filter((b) => b < B))];
  const refs = {};
  for (const v of Object.keys(variants)) {
    if (!rows.some((r) => r.variant === v)) continue;
    const tr = now();
    refs[v] = referenceForward(cell, { x, B, T, F, U, weights: variants[v].weights, resetAfter: variants[v].resetAfter, rows: refRows });
    console.log(`  reference (${v === 'raf' ? 'resetAfter:false' : cell === 'GRU' ? 'resetAfter:true' : 'float64'}) rows [${refRows}] in ${(now() - tr).toFixed(2)} s`);
  }

  // -- prepare + check
  for (const r of rows) {
    const v = variants[r.variant];
    const spec = { id, cell, B, T, F, U, stream: !!stream, x, weights: v.weights, resetAfter: v.resetAfter };
    try {
      r.handle = await r.peer.prepare(spec);
      await r.handle.activate?.();
      const tc = now();
      if (stream) {
        r.handle.reset();
        const outs = [];
        r.refDiff = 0;
        for (let k = 0; k < T; k++) {
          const y = Float32Array.from(await r.handle.step(k));
          outs.push(y);
          r.refDiff = Math.max(r.refDiff, maxAbsDiffRows(y, refs[r.variant], refRows, U, k));
        }
        r.handle.reset();
        r.output = new Float32Array(outs.length * B * U);
        outs.forEach((o, k) => r.output.set(o, k * B * U));
      } else {
        r.output = Float32Array.from(await r.handle.run());
        r.refDiff = maxAbsDiffRows(r.output, refs[r.variant], refRows, U, T - 1);
      }
      r.firstCall = now() - tc;
      if (r.output.length !== (stream ? T : 1) * B * U) {
        r.status = 'mismatch';
        r.why = `output has ${r.output.length} values, expected ${(stream ? T : 1) * B * U}`;
      } else if (!allFinite(r.output)) {
        r.status = 'mismatch';
        r.why = 'output has NaN/Infinity';
      } else if (!(r.refDiff <= args.tol)) {
        r.status = 'mismatch';
        r.why = `max |peer − float64 reference| = ${fmtDiff(r.refDiff)} > ${args.tol}`;
      } else {
        r.status = 'ok';
      }
    } catch (e) {
      r.status = 'error';
      r.why = (e && e.message) || String(e);
    }
  }
  // cross-check within each variant against an anchor (ours when it passed)
  for (const v of Object.keys(variants)) {
    const group = rows.filter((r) => r.variant === v && r.status === 'ok');
    const anchor = group.find((r) => r.peer.id === 'ours') ?? group[0];
    if (!anchor) continue;
    for (const r of group) {
      if (r === anchor) continue;
      r.anchor = anchor.name;
      r.peerDiff = maxAbsDiff(r.output, anchor.output);
      if (!(r.peerDiff <= args.tol)) {
        r.status = 'mismatch';
        r.why = `max |${r.name} − ${anchor.name}| = ${fmtDiff(r.peerDiff)} > ${args.tol}`;
      }
    }
  }
  for (const r of rows) {
    const what = r.status === 'ok'
      ? `ok   ref ${fmtDiff(r.refDiff)}${r.anchor ? `, vs ${r.anchor} ${fmtDiff(r.peerDiff)}` : ''}; first call ${fmtTime(r.firstCall)}`
      : `${r.status.toUpperCase()} — not timed: ${r.why}`;
    console.log(`  check ${r.name.padEnd(28)} ${what}`);
  }

  // -- timing
  const timed = rows.filter((r) => r.status === 'ok');
  if (!args.checkOnly && timed.length) {
    const budget = cs.budget * args.scale;
    const perRound = budget / args.rounds;
    for (const r of timed) {
      r.samples = [];
      r.singleCall = false;
      r.spent = 0;
      r.calls = 0;
      const fn = stream ? () => r.handle.step(0) : () => r.handle.run();
      r.fn = fn;
      if (r.firstCall >= budget) {
        // One call costs more than the whole budget (tfjs-cpu on W3/W4): its
        // checked call, timed with performance.now(), is the only sample.
        r.samples.push(r.firstCall);
        r.spent = r.firstCall;
        r.singleCall = true;
        continue;
      }
      // warm-up: a few calls / ~0.2 s, unless the first call alone was long
      if (r.firstCall < 1) {
        await r.handle.activate?.();
        const tw = now();
        let n = 0;
        while ((n < 3 || now() - tw < 0.2) && now() - tw < Math.max(0.5, 3 * r.firstCall)) {
          await fn();
          n++;
        }
      }
    }
    for (let round = 0; round < args.rounds; round++) {
      const order = timed.map((_, i) => timed[(i + round) % timed.length]);
      for (const r of order) {
        if (r.status !== 'ok') continue;
        const remaining = budget - r.spent;
        if (r.samples.length && remaining <= 0) continue;
        await r.handle.activate?.();
        const tb = now();
        try {
          const res = await benchRun(`${id} ${r.name}`, r.fn, r.handle.async, Math.max(perRound, 0.05));
          r.samples.push(...res.sample);
        } catch (e) {
          r.status = 'error';
          r.why = `during timing: ${(e && e.message) || e}`;
          console.log(`  ${r.name}: ERROR during timing: ${r.why}`);
        }
        r.spent += now() - tb;
      }
    }
    for (const r of timed) {
      if (!r.samples?.length) continue;
      const s = [...r.samples].sort((a, b) => a - b);
      r.median = quantile(s, 0.5);
      r.iqr = (quantile(s, 0.75) - quantile(s, 0.25)) / r.median;
      r.gflops = flopCount / r.median / 1e9;
    }
    for (const r of timed) {
      const base = rows.find((q) => q.peer.id === 'ours' && q.variant === r.variant && q.median)
        ?? rows.find((q) => q.peer.id === 'ours' && q.variant === 'main' && q.median);
      if (base && r.median) {
        r.ratio = r.median / base.median;
        r.ratioBase = base.name;
      }
    }
    for (const r of timed) {
      if (!r.median) continue;
      console.log(`  time  ${r.name.padEnd(28)} ${fmtTime(r.median).padStart(10)}  ${fmtGf(r.gflops).padStart(6)} GFLOP/s` +
        `  ±${fmtNum(r.iqr * 50, 1)}%  n=${r.samples.length}` + (r.ratio ? `  ×${fmtRatio(r.ratio)} vs ${r.ratioBase}` : ''));
    }
  }
  for (const r of rows) {
    try { r.handle?.dispose(); } catch { /* ignore */ }
    r.handle = null;
    r.output = null;
    r.fn = null;
  }
  return { cs, flopCount, rows };
}

// ---------------------------------------------------------------- reports

function checkText(r) {
  if (r.status === 'ok') return 'pass';
  if (r.status === 'error') return `error: ${r.why}`;
  return `FAIL: ${r.why}`;
}

function renderStdoutTable(results) {
  const head = ['case', 'peer', 'median', 'GFLOP/s', '±IQR/2', 'n', '× ours', 'check'];
  const lines = [head];
  for (const { cs, rows } of results) {
    for (const r of rows) {
      lines.push([
        cs.id, r.name, r.median ? fmtTime(r.median) : '—', r.gflops ? fmtGf(r.gflops) : '—',
        r.iqr !== undefined ? `${fmtNum(r.iqr * 50, 1)}%` : '—', `${r.samples?.length ?? 0}${r.singleCall ? '*' : ''}`,
        r.ratio ? fmtRatio(r.ratio) : '—', r.status === 'ok' ? 'pass' : r.status,
      ]);
    }
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')).join('\n');
}

function renderMarkdown({ results, machine, peers, skipped, args, startedAt, elapsed, fullRun }) {
  const L = [];
  L.push('# rnn-wasm benchmark results', '');
  L.push(`Generated by \`node bench/run.mjs${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}\`` +
    ` on ${startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC (${elapsed.toFixed(0)} s${fullRun ? '' : ', subset run'}).`, '');
  L.push('## Machine', '');
  L.push(`- CPU: ${machine.cpu}, ${machine.cores} logical cores (shared, noisy machine: compare ratios, not absolute times)`);
  L.push(`- OS: ${machine.os}, RAM ${machine.mem}`);
  L.push(`- Node ${machine.node}`, '');
  L.push('## Peers', '');
  for (const p of peers) L.push(`- **${p.id}**: ${p.version}`);
  for (const s of skipped) L.push(`- **${s.id}**: not run — ${s.reason}`);
  L.push('');
  L.push('## Results', '');
  L.push('Median time of one call (one sequence batch, last output only; W1: one step), GFLOP/s with' +
    ' FLOPs = 2·B·T·(F+U)·gates·U, ratio = peer time / ours time (> 1: ours is faster),' +
    ' and the output check against the float64 reference and the other peers (abs. tolerance ' +
    `${args.tol}).`, '');
  for (const { cs, flopCount, rows } of results) {
    L.push(`### ${cs.id} — ${cs.title}: ${cs.cell}, B=${cs.B}, T=${cs.T}, F=${cs.F}, U=${cs.U} (${(flopCount / 1e6).toFixed(2)} MFLOP)`, '');
    L.push('| peer | median | GFLOP/s | ±IQR/2 | samples | × ours | max abs diff vs ref / vs peer | check |');
    L.push('|---|---:|---:|---:|---:|---:|---|---|');
    for (const r of rows) {
      L.push(`| ${r.name} | ${r.median ? fmtTime(r.median) : '—'} | ${r.gflops ? fmtGf(r.gflops) : '—'} | ` +
        `${r.iqr !== undefined ? fmtNum(r.iqr * 50, 1) + '%' : '—'} | ${r.samples?.length ?? 0}${r.singleCall ? '\\*' : ''} | ` +
        `${r.ratio ? fmtRatio(r.ratio) + (r.ratioBase !== 'ours' ? ` (vs ${r.ratioBase})` : '') : '—'} | ` +
        `${fmtDiff(r.refDiff)} / ${r.anchor ? `${fmtDiff(r.peerDiff)} (vs ${r.anchor})` : '—'} | ${checkText(r).replace(/\|/g, '\\|')} |`);
    }
    if (cs.cell === 'GRU' && rows.some((r) => r.variant === 'raf')) {
      L.push('', '_tfjs rows run GRU with resetAfter:false (tfjs throws on resetAfter:true): same FLOPs,' +
        ' different equations; they are checked against the resetAfter:false reference' +
        (rows.some((r) => r.peer.id === 'ours' && r.variant === 'raf') ? ' and ours with resetAfter:false, and their ratio is against that row._' : '._'));
    }
    if (cs.stream) {
      const modes = new Map();
      for (const r of rows) modes.set(r.peer.streamMode, [...(modes.get(r.peer.streamMode) ?? []), r.peer.id]);
      L.push('', '_Stream step — ' + [...modes].map(([m, ids]) => `${ids.join(', ')}: ${m}`).join('; ') + '._');
    }
    L.push('');
  }
  L.push('## Methodology', '');
  L.push(
    '- All peers run in one Node process, single-threaded (onnxruntime intra/inter-op threads 1,' +
    ' onnxruntime-web numThreads 1, tfjs-backend-wasm has no threads under Node).',
    '- Same seeded random float32 weights (Keras `get_weights()` layout; glorot-uniform kernel,' +
    ' recurrent kernel U(±√(3/U)), small non-zero bias) and inputs U(−1, 1) for every peer. The ONNX' +
    ' models are built in JS from those weights (`bench/onnx.mjs`: one fused LSTM/GRU/RNN node,' +
    ' opset 14, gates reordered to ONNX order, GRU linear_before_reset = 1 for resetAfter).',
    '- Input prep is outside the timed region: tfjs tensors are created once; onnxruntime gets the' +
    ' input transposed once to time-major (T, B, F) (ONNX RNN ops with layout = 0), which ours and tfjs' +
    ' do not need; ours gets `{ data, shape }` (its copy into WASM memory is inside the timed call).' +
    ' Timed calls include reading the (B, U) last output back into JS.',
    '- Before timing, every peer\'s output is checked against a float64 JS reference of the Keras' +
    ' equations (`bench/reference.mjs`, computed on batch rows 0, 1, B/2, B−1) and against an anchor peer' +
    ' (ours when available) on the whole output; a peer that disagrees by more than the tolerance is not timed.' +
    ' W1 checks 5 consecutive stream steps (state carried between calls).',
    '- Timing: benchmark.js 2.1.4 (sync `fn` for ours and tfjs, `defer: true` for the Promise-returning' +
    ' onnxruntime `session.run`; its per-call Promise overhead is part of onnxruntime\'s real API cost).' +
    ' Each benchmark.js sample is the mean over enough calls to last ≥ 50 ms (or one call if longer).' +
    ` After a warm-up, peers are interleaved in ${args.rounds} rounds (rotated order) with a per-peer time budget` +
    ` per case (W1/W2 3 s, W3 8 s, W4 15 s, × --scale ${args.scale}); the reported time is the median of all samples,` +
    ' ±IQR/2 its spread relative to the median. A slow peer gets fewer samples (at least one).' +
    ' Samples marked \\* : one call took longer than the whole budget (tfjs-cpu on W3/W4), so the' +
    ' checked call itself, timed with performance.now(), is the only sample (not interleaved, no warm-up' +
    ' beyond the earlier cases; at these durations JIT warm-up is negligible).',
    '- W1 timing repeats step 0\'s input on the evolving state. tfjs keeps the state inside a stateful layer;' +
    ' onnxruntime gets initial_h/initial_c as inputs and its Y_h/Y_c are fed back in (state passing through JS).',
    '',
  );
  return L.join('\n');
}

// ---------------------------------------------------------------- threads

/** --threads N: ours on 1 and N threads beside onnxruntime-web (N threads) and onnxruntime-node (1 and N). */
async function threadsRun(args) {
  const n = args.threads;
  if (!Number.isInteger(n) || n < 2) throw new Error(`bench/run: --threads must be a whole number >= 2, received ${args.threads}`);
  const file = args.out ?? path.join(HERE, 'RESULTS.md');
  const wanted = args.workloads ?? ['W2', 'W3', 'W4'];
  const selected = cases().filter((c) => !c.stream && wanted.some((w) => w === c.workload || w === c.id));
  if (!selected.length) throw new Error(`no workload matches ${wanted}`);
  const startedAt = new Date();
  const t0 = now();
  console.log(`rnn-wasm threads bench — ${cpuLabel()}, ${os.cpus().length} cores, Node ${process.version}; ${n} threads`);
  const peers = [];
  for (const p of [ours, makeOurs({ threads: n }), makeOrtPeer('web', n), ortNode, makeOrtPeer('node', n)]) {
    const info = await p.init();
    peers.push({ ...p, version: info.version });
    console.log(`  peer ${p.id.padEnd(12)} ${info.version}`);
  }
  const results = [];
  for (const cs of selected) results.push(await runCase(cs, peers, args, true));
  console.log(`\n${renderStdoutTable(results)}`);
  const mine = `ours-${n}t`;
  // Training steps (bench/train.mjs) of TR2-TR5, ours on 1 and n threads.
  console.log('\n== training with threads (bench/train.mjs)');
  const train = await modelTraining({
    workloads: args.values['train-workloads'] ? args.values['train-workloads'].split(',') : ['TR2', 'TR3', 'TR4', 'TR5'],
    peers: ['ours', mine], scale: args.scale, rounds: args.rounds, log: (l) => console.log(l),
  });
  const load = os.loadavg()[0];
  const L = [
    THREADS_HEADING,
    '',
    `\`node bench/run.mjs --threads ${n}\` (after \`npm run build\`), ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
      `${cpuLabel()} (${os.cpus().length} cores), Node ${process.version}, ${((now() - t0) / 60).toFixed(1)} min, ` +
      `load average ${load.toFixed(1)} at the end (the machine is shared: ratios come from interleaved rounds in one process).`,
    '',
    `\`init({ threads: ${n} })\` against our single thread and the peers with ${n} threads; × = the peer's median time / ${mine}'s ` +
      '(> 1: ours with threads is faster). Same checks and timing as the tables above (outputs checked against the float64 ' +
      `reference and against \`ours\`; ${mine}'s output equals \`ours\` bit for bit, a test in test/threads/). The onnxruntime ` +
      'peers with threads run with `session.intra_op.allow_spinning` (and inter_op) "0": spinning after each run, their pools took ' +
      'the cores from the next peer timed in the interleaved rounds.',
    '',
    `| case | ours (1 thread) | ${mine} | ${mine} GFLOP/s | × ours (1 thread) | × ort-web-${n}t | × ort-node (1 thread) | × ort-node-${n}t |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { cs, rows } of results) {
    const get = (id) => rows.find((r) => r.peer.id === id && r.variant === 'main');
    const m = get(mine);
    const cell = (id) => {
      const r = get(id);
      return r?.median && m?.median ? fmtRatio(r.median / m.median) : r ? checkText(r) : '—';
    };
    L.push(`| ${cs.id} (B=${cs.B}, T=${cs.T}, F=${cs.F}, U=${cs.U}) | ${fmtTime(get('ours')?.median)} | ${fmtTime(m?.median)} | ` +
      `${fmtGf(m?.gflops)} | ${cell('ours')} | ${cell(`ort-web-${n}t`)} | ${cell('ort-node')} | ${cell(`ort-node-${n}t`)} |`);
  }
  L.push(
    '',
    `Training steps (forward + backward + Adam; \`bench/train.mjs\`, the same checks and timing as "Training" below), ours on 1 and ${n} threads:`,
    '',
    `| workload | ours (1 thread) | ${mine} | × ours (1 thread) |`,
    '|---|---:|---:|---:|',
  );
  for (const { wl, rows } of train.results) {
    const one = rows.find((r) => r.peer.id === 'ours' && r.variant === 'main');
    const many = rows.find((r) => r.peer.id === mine && r.variant === 'main');
    const ratio = one?.median && many?.median ? fmtRatio(one.median / many.median) : many ? `${many.status}: ${many.why ?? ''}` : '—';
    L.push(`| ${wl.id} | ${fmtTime(one?.median)} | ${fmtTime(many?.median)} | ${ratio} |`);
  }
  L.push('', 'Peers: ' + peers.map((p) => `${p.id}: ${p.version}`).join('; ') + '.', '');
  const md = L.join('\n');
  console.log(md);
  if (args.write) {
    let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    text = withSection(text, THREADS_HEADING, md);
    fs.writeFileSync(file, text);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
  process.exit(train.failed || results.some((r) => r.rows.some((x) => x.status === 'mismatch')) ? 2 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
