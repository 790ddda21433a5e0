// Command-line options shared by bench/run.mjs and bench/train.mjs, parsed
// with Node's own util.parseArgs (strict: an unknown option is an error).
import { parseArgs } from 'node:util';

const COMMON = {
  workloads: { type: 'string', short: 'w' },
  peers: { type: 'string', short: 'p' },
  scale: { type: 'string' },
  rounds: { type: 'string' },
  out: { type: 'string' },
  'include-slow': { type: 'boolean' },
};

const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

/**
 * { workloads?, peers?, scale (1), rounds (3), out?, includeSlow, values }:
 * the common options, and `values` with the script's own (`extra`, in
 * util.parseArgs's form) as parsed. `what` prefixes errors.
 */
export function benchArgs(argv, extra, what) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...COMMON, ...extra }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new Error(`${what}: ${e.message}`);
  }
  const a = {
    scale: values.scale === undefined ? 1 : Number(values.scale),
    rounds: values.rounds === undefined ? 3 : Math.max(1, parseInt(values.rounds, 10)),
    includeSlow: values['include-slow'] === true,
    values,
  };
  if (values.workloads !== undefined) a.workloads = list(values.workloads);
  if (values.peers !== undefined) a.peers = list(values.peers);
  if (values.out !== undefined) a.out = values.out;
  if (!(a.scale > 0)) throw new Error(`${what}: --scale must be > 0`);
  return a;
}
