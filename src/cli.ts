// The command line: `npx rnn-wasm summary|predict|convert ...`, built by tsup
// into dist/cli.js (the package's `bin`). Node only. Exit codes: 0 success,
// 1 the model or an input could not be loaded/run, 2 bad usage.
import { readFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Model, Tensor, init, loadModel, tensor } from './index';

const USAGE = `Usage: rnn-wasm <command> [options]

Commands:
  summary <model>                       print the model's summary() table
  predict <model> --input <x.json>      run the model and print its outputs as JSON
          [--output <y.json>] [--batch-size <n>] [--threads <n|auto>]
  convert <in> <out> [--format keras|tfjs]
                                        load a model and save it in another format
                                        (<out>: a .keras file, or a tfjs model.json
                                        or directory with --format tfjs)

<model> is a .keras or .h5 file, a tfjs model.json, or an http(s):// URL.
Input JSON: a nested array for a one-input model; for several inputs, a list of
nested arrays in input order, an object keyed by input name, or one --input file
per input (in input order). Outputs are written in the same form.
A file {"input_sets": [{"name", "inputs": [{"name", "shape", "data", "dtype"}]}]}
(flat data; inputs matched by name) runs every set and prints
{"input_sets": [{"name", "outputs": [{"name", "shape", "data"}]}]}.

Options:
  -i, --input <file>       input JSON for predict (repeat it for one file per input)
  -o, --output <file>      write predict's JSON here instead of stdout
  -b, --batch-size <n>     samples per predict call (default 32)
  -t, --threads <n|auto>   threads predict's kernels may use (default 1; the same
                           numbers on any count)
  -f, --format <keras|tfjs>  convert's output format (default: from <out>'s extension)
      --verbose            print stack traces of errors
  -h, --help               print this help
  -v, --version            print the version`;

const OPTIONS = {
  input: { type: 'string', short: 'i', multiple: true },
  output: { type: 'string', short: 'o' },
  'batch-size': { type: 'string', short: 'b' },
  threads: { type: 'string', short: 't' },
  format: { type: 'string', short: 'f' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** A command-line mistake: usage goes to stderr and the exit code is 2. */
class UsageError extends Error {}

/** Where the CLI writes (replaceable in-process; the spawned CLI uses the process streams). */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

const processIO: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

function version(): string {
  // src/cli.ts and dist/cli.js both sit one folder below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean;
};

function parse(argv: string[]): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** --threads: a whole number from 1 to 64, or 'auto'. */
function parseThreads(text: string): number | 'auto' {
  if (text === 'auto') return 'auto';
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 64) throw new UsageError(`predict: --threads must be a whole number from 1 to 64 or 'auto', received '${text}'.`);
  return n;
}

/** Positionals of a command, checked for count; options it does not take are refused. */
function expectArgs(cmd: string, positionals: string[], names: string[], values: Values, allowed: (keyof Values)[]): string[] {
  if (positionals.length !== names.length) {
    throw new UsageError(`${cmd}: expected ${names.map((n) => `<${n}>`).join(' ')}, received ${positionals.length} argument${positionals.length === 1 ? '' : 's'}.`);
  }
  for (const k of Object.keys(values) as (keyof Values)[]) {
    if (values[k] !== undefined && !['verbose', ...allowed].includes(k)) throw new UsageError(`${cmd}: option --${k} does not apply to this command.`);
  }
  return positionals;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${what} '${file}': cannot read the file (${(e as Error).message}).`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${what} '${file}': not valid JSON (${(e as Error).message}).`);
  }
}

/** The model's input names (from the file: InputLayer names, or `<first layer>_input` for Keras 2 Sequential configs). */
function inputNames(model: Model): string[] {
  return model.inputs.map((t) => t.node.layer.name);
}

function describeJson(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v;
}

/** One input's nested array as a tensor of the model input's dtype. */
function inputTensor(model: Model, v: unknown, i: number, file: string, label: string): Tensor {
  if (!Array.isArray(v)) throw new Error(`--input '${file}': ${label} must be a nested array of numbers, received ${describeJson(v)}.`);
  try {
    return tensor(v as never, undefined, model.inputs[i]?.dtype === 'int32' ? 'int32' : 'float32');
  } catch (e) {
    throw new Error(`--input '${file}': ${label}: ${(e as Error).message}`);
  }
}

/** Input JSON -> tensors in the model's input order (dtype from the model's inputs). */
function inputsFromJson(model: Model, json: unknown, file: string): { xs: Tensor[]; keyed: boolean } {
  const names = inputNames(model);
  const make = (v: unknown, i: number, label: string): Tensor => inputTensor(model, v, i, file, label);
  const count = Math.max(names.length, 1);
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const obj = json as Record<string, unknown>;
    const extra = Object.keys(obj).filter((k) => !names.includes(k));
    const missing = names.filter((n) => !Object.prototype.hasOwnProperty.call(obj, n));
    if (extra.length > 0 || missing.length > 0) {
      throw new Error(`--input '${file}': the keys must be the model's input names [${names.join(', ')}]` +
        `${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; unknown ${extra.join(', ')}` : ''}.`);
    }
    return { xs: names.map((n, i) => make(obj[n], i, `input '${n}'`)), keyed: true };
  }
  if (!Array.isArray(json)) throw new Error(`--input '${file}': expected a nested array or an object of them, received ${describeJson(json)}.`);
  if (count === 1) return { xs: [make(json, 0, 'the input')], keyed: false };
  if (json.length !== count) throw new Error(`--input '${file}': the model has ${count} inputs [${names.join(', ')}], the list has ${json.length} entries.`);
  return { xs: json.map((v, i) => make(v, i, `input ${i} ('${names[i]}')`)), keyed: false };
}

/** A `{ input_sets: [...] }` file (keras-wild's inputs.json), unless the model has an input of that name. */
function isInputSets(model: Model, json: unknown): json is { input_sets: unknown } {
  return json !== null && typeof json === 'object' && !Array.isArray(json) && Object.prototype.hasOwnProperty.call(json, 'input_sets') &&
    !inputNames(model).includes('input_sets');
}

interface InputSet { name: string; xs: Tensor[] }

/**
 * `{ input_sets: [{ name, inputs: [{ name, shape, data, dtype? }] }] }`: each set's inputs matched to the
 * model's inputs by name; a one-input model also takes a set of one input under another name.
 */
function inputSetsFromJson(model: Model, json: { input_sets: unknown }, file: string): InputSet[] {
  const names = inputNames(model);
  const sets = json.input_sets;
  if (!Array.isArray(sets) || sets.length === 0) throw new Error(`--input '${file}': input_sets must be a non-empty list of sets, received ${describeJson(sets)}.`);
  return sets.map((set: unknown, k) => {
    const where = `input_sets[${k}]`;
    if (set === null || typeof set !== 'object' || Array.isArray(set)) throw new Error(`--input '${file}': ${where} must be an object { name, inputs }, received ${describeJson(set)}.`);
    const { name, inputs } = set as { name?: unknown; inputs?: unknown };
    const setName = typeof name === 'string' ? name : `set${k}`;
    const label = `input set '${setName}'`;
    if (!Array.isArray(inputs)) throw new Error(`--input '${file}': ${label}: inputs must be a list of { name, shape, data }, received ${describeJson(inputs)}.`);
    const entries = inputs.map((e: unknown, j) => {
      if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new Error(`--input '${file}': ${label}: inputs[${j}] must be an object { name, shape, data }, received ${describeJson(e)}.`);
      return e as { name?: unknown; shape?: unknown; data?: unknown };
    });
    const given = entries.map((e, j) => (typeof e.name === 'string' ? e.name : `inputs[${j}]`));
    let order: number[];
    if (entries.length === names.length && names.every((n) => given.includes(n))) order = names.map((n) => given.indexOf(n));
    else if (entries.length === 1 && names.length === 1) order = [0];
    else {
      throw new Error(`--input '${file}': ${label} has inputs [${given.join(', ')}]; the model's inputs are [${names.join(', ')}] (matched by name).`);
    }
    const xs = order.map((j, i) => {
      const e = entries[j];
      const what = `${label}, input '${given[j]}'`;
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        throw new Error(`--input '${file}': ${what}: shape must be a list of sizes, received ${JSON.stringify(e.shape)}.`);
      }
      if (!Array.isArray(e.data)) throw new Error(`--input '${file}': ${what}: data must be a flat list of numbers, received ${describeJson(e.data)}.`);
      try {
        return tensor(e.data as number[], e.shape as number[], model.inputs[i]?.dtype === 'int32' ? 'int32' : 'float32');
      } catch (err) {
        throw new Error(`--input '${file}': ${what}: ${(err as Error).message}`);
      }
    });
    return { name: setName, xs };
  });
}

/** Output names: the layer's name, with `_<index>` for the second and later outputs of one layer. */
function outputNames(model: Model): string[] {
  return model.outputs.map((t, i) => t.node.layer.name + (model.outputs.findIndex((u) => u.node.layer === t.node.layer) === i ? '' : `_${t.index}`));
}

/** Outputs in the form of the inputs: keyed by output name when the inputs were keyed by input name. */
function outputsToJson(model: Model, out: Tensor | Tensor[], keyed: boolean): unknown {
  const outs: Tensor[] = Array.isArray(out) ? out : [out];
  if (!keyed) return Array.isArray(out) ? outs.map((t) => t.toArray()) : outs[0].toArray();
  const names = outputNames(model);
  return Object.fromEntries(outs.map((t, i) => [names[i], t.toArray()]));
}

async function summary(argv: { values: Values; positionals: string[] }, io: CliIO): Promise<void> {
  const [file] = expectArgs('summary', argv.positionals, ['model'], argv.values, []);
  const model = await loadModel(file);
  try {
    model.summary((line) => io.out(`${line}\n`));
  } finally {
    model.dispose();
  }
}

async function predict(argv: { values: Values; positionals: string[] }, io: CliIO): Promise<void> {
  const v = argv.values;
  const [file] = expectArgs('predict', argv.positionals, ['model'], v, ['input', 'output', 'batch-size', 'threads']);
  const inputFiles = v.input ?? [];
  if (inputFiles.length === 0) throw new UsageError('predict: --input <x.json> is required.');
  let batchSize: number | undefined;
  if (v['batch-size'] !== undefined) {
    batchSize = Number(v['batch-size']);
    if (!/^\d+$/.test(v['batch-size']) || !Number.isSafeInteger(batchSize) || batchSize <= 0) {
      throw new UsageError(`predict: --batch-size must be a positive integer, received '${v['batch-size']}'.`);
    }
  }
  const jsons: unknown[] = [];
  for (const f of inputFiles) jsons.push(await readJson(f, '--input'));
  const model = await loadModel(file);
  try {
    const run = (xs: Tensor[]): Tensor | Tensor[] => model.predict(xs.length === 1 ? xs[0] : xs, batchSize === undefined ? {} : { batchSize });
    let result: unknown;
    if (inputFiles.length > 1) {
      // One file per input, in the model's input order.
      const names = inputNames(model);
      if (inputFiles.length !== names.length) {
        throw new Error(`predict: ${inputFiles.length} --input files were given; the model has ${names.length} input${names.length === 1 ? '' : 's'} [${names.join(', ')}] (one file per input, in this order).`);
      }
      result = outputsToJson(model, run(jsons.map((j, i) => inputTensor(model, j, i, inputFiles[i], `input ${i} ('${names[i]}')`))), false);
    } else if (isInputSets(model, jsons[0])) {
      const names = outputNames(model);
      result = {
        input_sets: inputSetsFromJson(model, jsons[0], inputFiles[0]).map((set) => {
          const out = run(set.xs);
          const outs: Tensor[] = Array.isArray(out) ? out : [out];
          return { name: set.name, outputs: outs.map((t, i) => ({ name: names[i], shape: [...t.shape], data: Array.from(t.data) })) };
        }),
      };
    } else {
      const { xs, keyed } = inputsFromJson(model, jsons[0], inputFiles[0]);
      result = outputsToJson(model, run(xs), keyed);
    }
    const text = `${JSON.stringify(result)}\n`;
    if (v.output === undefined) io.out(text);
    else {
      try {
        await writeFile(v.output, text);
      } catch (e) {
        throw new Error(`--output '${v.output}': cannot write the file (${(e as Error).message}).`);
      }
    }
  } finally {
    model.dispose();
  }
}

/** convert's format: --format, else the output's extension (.keras, .json); anything else is a usage error. */
function convertFormat(dst: string, format: string | undefined): 'keras' | 'tfjs' {
  if (format !== undefined) {
    if (format !== 'keras' && format !== 'tfjs') throw new UsageError(`convert: --format must be 'keras' or 'tfjs', received '${format}'.`);
    return format;
  }
  if (/\.keras$/i.test(dst)) return 'keras';
  if (/\.json$/i.test(dst)) return 'tfjs';
  if (/\.h5$/i.test(dst)) {
    throw new UsageError(`convert: '${dst}': legacy .h5 model files are not written; use an output ending in '.keras' (Keras 3 loads it), or --format tfjs with a directory or model.json.`);
  }
  const ext = /\.[^./\\]+$/.exec(dst)?.[0];
  throw new UsageError(
    `convert: cannot tell the output format from ${ext ? `the extension '${ext}' of '${dst}'` : `'${dst}' (it has no extension)`}; ` +
      `use --format keras (with an output ending in '.keras') or --format tfjs (a directory or a path to model.json).`,
  );
}

const bytes = (n: number): string => `${n.toLocaleString('en-US')} bytes`;

async function convert(argv: { values: Values; positionals: string[] }, io: CliIO): Promise<void> {
  const [src, dst] = expectArgs('convert', argv.positionals, ['in', 'out'], argv.values, ['format']);
  const format = convertFormat(dst, argv.values.format);
  const model = await loadModel(src);
  try {
    // Model.save checks the path against the format (src/io/save.ts).
    await model.save(dst, { format });
    const written: string[] = [];
    if (format === 'keras') written.push(dst);
    else {
      // Model.save's layout: <dst> is model.json, or a directory that gets model.json; the shards sit beside it.
      const json = /\.json$/i.test(dst) ? dst : `${dst.replace(/[\\/]+$/, '')}/model.json`;
      const dir = json.replace(/[\\/]?[^\\/]*$/, '');
      const manifest = (JSON.parse(await readFile(json, 'utf8')) as { weightsManifest: { paths: string[] }[] }).weightsManifest;
      written.push(json, ...manifest.flatMap((g) => g.paths).map((p) => (dir === '' ? p : `${dir}/${p}`)));
    }
    const sizes = await Promise.all(written.map(async (f) => (await stat(f)).size));
    const what = format === 'keras' ? 'a Keras 3 .keras archive' : 'the TensorFlow.js layers format (model.json and weight shards)';
    io.out(`Converted '${src}' (model '${model.name}', ${model.countParams().toLocaleString('en-US')} parameters) to ${what}:\n`);
    const width = Math.max(...written.map((f) => f.length));
    for (let i = 0; i < written.length; i++) io.out(`  ${written[i].padEnd(width)}  ${bytes(sizes[i])}\n`);
  } finally {
    model.dispose();
  }
}

/** Runs the CLI with the given arguments (without `node cli.js`); resolves to the exit code. */
export async function main(args: string[], io: CliIO = processIO): Promise<number> {
  const verbose = args.includes('--verbose');
  try {
    const argv = parse(args);
    if (argv.values.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (argv.values.version) {
      io.out(`${version()}\n`);
      return 0;
    }
    const [cmd, ...rest] = argv.positionals;
    const sub = { values: argv.values, positionals: rest };
    if (cmd === undefined) throw new UsageError('no command given.');
    if (!['summary', 'predict', 'convert'].includes(cmd)) throw new UsageError(`unknown command '${cmd}'.`);
    await init(cmd === 'predict' && argv.values.threads !== undefined ? { threads: parseThreads(argv.values.threads) } : {});
    if (cmd === 'summary') await summary(sub, io);
    else if (cmd === 'predict') await predict(sub, io);
    else await convert(sub, io);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`rnn-wasm: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    const err = e as Error;
    io.err(`rnn-wasm: ${verbose && err?.stack ? err.stack : (err?.message ?? String(e))}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`rnn-wasm: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
