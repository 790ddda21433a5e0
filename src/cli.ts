// The command line: `npx rnn-wasm summary|predict|convert ...`, built by tsup
// into dist/cli.js (the package's `bin`). Node only. Exit codes: 0 success,
// 1 the model or an input could not be loaded/run, 2 bad usage.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Model, Tensor, init, loadModel, tensor } from './index';

const USAGE = `Usage: rnn-wasm <command> [options]

Commands:
  summary <model>                       print the model's summary() table
  predict <model> --input <x.json>      run the model and print its outputs as JSON
          [--output <y.json>] [--batch-size <n>]
  convert <in> <out> [--format keras|tfjs]
                                        load a model and save it in another format

<model> is a .keras or .h5 file, a tfjs model.json, or an http(s):// URL.
Input JSON: a nested array for a one-input model; a list of nested arrays, or an
object keyed by input name, for several inputs. Outputs are written the same way.

Options:
  -i, --input <file>       input JSON for predict
  -o, --output <file>      write predict's JSON here instead of stdout
  -b, --batch-size <n>     samples per predict call (default 32)
  -f, --format <keras|tfjs>  convert's output format (default: from <out>'s extension)
      --verbose            print stack traces of errors
  -h, --help               print this help
  -v, --version            print the version`;

const OPTIONS = {
  input: { type: 'string', short: 'i' },
  output: { type: 'string', short: 'o' },
  'batch-size': { type: 'string', short: 'b' },
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

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

function parse(argv: string[]): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
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

/** Input JSON -> tensors in the model's input order (dtype from the model's inputs). */
function inputsFromJson(model: Model, json: unknown, file: string): { xs: Tensor[]; keyed: boolean } {
  const inputs = model.inputs;
  const names = inputs.map((t) => t.node.layer.name);
  const dtypeOf = (i: number) => (inputs[i]?.dtype === 'int32' ? 'int32' : 'float32');
  const make = (v: unknown, i: number, label: string): Tensor => {
    if (!Array.isArray(v)) throw new Error(`--input '${file}': ${label} must be a nested array of numbers, received ${v === null ? 'null' : typeof v}.`);
    try {
      return tensor(v as never, undefined, dtypeOf(i));
    } catch (e) {
      throw new Error(`--input '${file}': ${label}: ${(e as Error).message}`);
    }
  };
  const count = Math.max(inputs.length, 1);
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
  if (!Array.isArray(json)) throw new Error(`--input '${file}': expected a nested array or an object of them, received ${json === null ? 'null' : typeof json}.`);
  if (count === 1) return { xs: [make(json, 0, 'the input')], keyed: false };
  if (json.length !== count) throw new Error(`--input '${file}': the model has ${count} inputs [${names.join(', ')}], the list has ${json.length} entries.`);
  return { xs: json.map((v, i) => make(v, i, `input ${i} ('${names[i]}')`)), keyed: false };
}

function outputsToJson(model: Model, out: Tensor | Tensor[], keyed: boolean): unknown {
  if (!Array.isArray(out)) return out.toArray();
  if (!keyed) return out.map((t) => t.toArray());
  const names = model.outputs.map((t, i) => t.node.layer.name + (model.outputs.findIndex((u) => u.node.layer === t.node.layer) === i ? '' : `_${t.index}`));
  return Object.fromEntries(out.map((t, i) => [names[i], t.toArray()]));
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
  const [file] = expectArgs('predict', argv.positionals, ['model'], v, ['input', 'output', 'batch-size']);
  if (v.input === undefined) throw new UsageError('predict: --input <x.json> is required.');
  let batchSize: number | undefined;
  if (v['batch-size'] !== undefined) {
    batchSize = Number(v['batch-size']);
    if (!/^\d+$/.test(v['batch-size']) || !Number.isSafeInteger(batchSize) || batchSize <= 0) {
      throw new UsageError(`predict: --batch-size must be a positive integer, received '${v['batch-size']}'.`);
    }
  }
  const json = await readJson(v.input, '--input');
  const model = await loadModel(file);
  try {
    const { xs, keyed } = inputsFromJson(model, json, v.input);
    const out = model.predict(xs.length === 1 ? xs[0] : xs, batchSize === undefined ? {} : { batchSize });
    const text = `${JSON.stringify(outputsToJson(model, out, keyed))}\n`;
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

async function convert(argv: { values: Values; positionals: string[] }): Promise<void> {
  const [src, dst] = expectArgs('convert', argv.positionals, ['in', 'out'], argv.values, ['format']);
  const format = argv.values.format;
  if (format !== undefined && format !== 'keras' && format !== 'tfjs') {
    throw new UsageError(`convert: --format must be 'keras' or 'tfjs', received '${format}'.`);
  }
  const model = await loadModel(src);
  try {
    // Model.save picks the format from the extension when --format is not given (src/io/save.ts).
    await model.save(dst, format === undefined ? undefined : { format });
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
    await init();
    if (cmd === 'summary') await summary(sub, io);
    else if (cmd === 'predict') await predict(sub, io);
    else await convert(sub);
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
