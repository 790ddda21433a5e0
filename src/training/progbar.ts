// Keras 3's progress bar (keras/src/utils/progbar.py) as fit's verbose output
// (and evaluate's and predict's, one bar for the whole call):
//   Epoch 1/10
//   32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 12ms/step - accuracy: 0.5000 - loss: 0.6931
// On a terminal (Node/Deno stdout is a TTY) the line is redrawn in place;
// elsewhere (files, CI logs, browsers' console) one line per epoch.
import { Callback, type Logs } from './callbacks';

export type PrintFn = (line: string) => void;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

interface Out {
  write(s: string): void;
  isTTY: boolean;
}

function defaultOut(): Out | null {
  const proc = (globalThis as { process?: { stdout?: { write?: (s: string) => unknown; isTTY?: boolean } } }).process;
  if (proc?.stdout && typeof proc.stdout.write === 'function') {
    const stdout = proc.stdout;
    return { write: (s) => void stdout.write!(s), isTTY: stdout.isTTY === true };
  }
  return null;
}

/**
 * Keras formats metric values with 4 decimals, or in exponent form at or below
 * 1e-3: in absolute value on the bar (verbose 1), as a signed value on
 * verbose 2's line (keras/src/utils/progbar.py). Non-finite values as Python
 * prints them: nan, inf, -inf.
 */
export function formatValue(v: number, signed = false): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if ((signed ? v : Math.abs(v)) > 1e-3) return v.toFixed(4);
  // Python's '%.4e': mantissa with 4 decimals, exponent with a sign and at least two digits.
  const [m, e] = v.toExponential(4).split('e');
  const exp = Number(e);
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** keras/src/utils/progbar.py _format_time: whole seconds at 0 or >= 1 s, else ms or us. */
function formatTime(seconds: number): string {
  if (seconds >= 1 || seconds === 0) return ` ${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return ` ${Math.round(seconds * 1e3)}ms/step`;
  return ` ${Math.round(seconds * 1e6)}us/step`;
}

/**
 * fit's progress output (Keras ProgbarLogger). verbose 1: a bar per epoch
 * (redrawn on a terminal, written once at the epoch's end elsewhere);
 * verbose 2: one line per epoch. Without a verbose argument it follows fit's
 * `verbose`, as Keras's ProgbarLogger() (0: silent); given in fit's
 * callbacks, it replaces fit's own.
 */
export class ProgbarLogger extends Callback {
  private readonly out: Out | null;
  private readonly print: PrintFn;
  private epochs = 1;
  /** Batches per epoch; null while unknown (a dataset without stepsPerEpoch: its first epoch sets it, as Keras). */
  private steps: number | null = 0;
  private seen = 0;
  /** Between onTrainBegin and onTrainEnd: the test hooks are fit's validation, which prints nothing. */
  private inFit = false;
  private start = 0;
  private lastDraw = 0;
  private prevWidth = 0;
  private epoch = 0;

  private verbose: 0 | 1 | 2;

  constructor(
    private readonly verboseArg?: 0 | 1 | 2,
    printFn?: PrintFn,
  ) {
    super();
    this.verbose = verboseArg ?? 1;
    this.out = printFn ? null : defaultOut();
    this.print = printFn ?? ((s: string) => (this.out ? this.out.write(`${s}\n`) : console.log(s)));
  }

  private get dynamic(): boolean {
    return this.verbose === 1 && this.out !== null && this.out.isTTY;
  }

  override onTrainBegin(): void {
    this.inFit = true;
    this.configure();
    this.epochs = this.params?.epochs ?? 1;
  }

  override onTrainEnd(): void {
    this.inFit = false;
  }

  private configure(): void {
    this.verbose = this.verboseArg ?? ((this.params?.verbose ?? 1) as 0 | 1 | 2);
    this.steps = this.params ? this.params.steps : 0;
  }

  private restart(): void {
    this.seen = 0;
    this.start = now();
    this.lastDraw = 0;
    this.prevWidth = 0;
  }

  override onEpochBegin(epoch: number): void {
    if (this.verbose === 0) return;
    this.epoch = epoch;
    this.restart();
    // keras/src/callbacks/progbar_logger.py on_epoch_begin: the header only when there are several epochs.
    if (this.epochs > 1) this.print(`Epoch ${epoch + 1}/${this.epochs}`);
  }

  // evaluate's bar (keras/src/callbacks/progbar_logger.py on_test_*): one bar for the whole
  // evaluation; silent during fit's validation (Keras's _called_in_fit).
  override onTestBegin(): void {
    if (this.inFit) return;
    this.configure();
    this.restart();
  }

  override onTestBatchEnd(batch: number, logs: Logs = {}): void {
    if (!this.inFit) this.onBatchEnd(batch, logs);
  }

  override onTestEnd(logs: Logs = {}): void {
    if (!this.inFit) this.onEpochEnd(0, logs);
  }

  /** predict's bar (Keras's on_predict_* hooks, which Model.predict calls here): counts and time, no logs. */
  onPredictBegin(): void {
    this.configure();
    this.restart();
  }

  onPredictBatchEnd(batch: number): void {
    this.onBatchEnd(batch, {});
  }

  onPredictEnd(): void {
    this.onEpochEnd(0, {});
  }

  override onBatchEnd(batch: number, logs: Logs = {}): void {
    this.seen = batch + 1;
    if (!this.dynamic) return;
    const t = now();
    if (t - this.lastDraw < 50 && (this.steps === null || batch + 1 < this.steps)) return;
    this.lastDraw = t;
    this.draw(batch + 1, logs, false);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    if (this.verbose === 0) return;
    // keras/src/callbacks/progbar_logger.py _finalize_progbar: an unknown target becomes the batches seen.
    if (this.steps === null) this.steps = this.seen;
    const line = this.line(this.steps, logs, true);
    if (this.dynamic) {
      this.out!.write(`\r${line}${' '.repeat(Math.max(0, this.prevWidth - line.length))}\n`);
    } else {
      this.print(line);
    }
  }

  private draw(current: number, logs: Logs, final: boolean): void {
    const line = this.line(current, logs, final);
    this.out!.write(`\r${line}${' '.repeat(Math.max(0, this.prevWidth - line.length))}`);
    this.prevWidth = line.length;
  }

  private line(current: number, logs: Logs, final: boolean): string {
    const elapsed = (now() - this.start) / 1000;
    const perStep = current > 0 ? elapsed / current : 0;
    if (this.verbose === 2) {
      // keras/src/utils/progbar.py, verbose 2 (written once, at the end): no bar, " - " between fields.
      const target = this.steps ?? current;
      let line = `${String(current).padStart(String(target).length)}/${target} - ${Math.round(elapsed)}s -${formatTime(perStep)}`;
      for (const [k, v] of Object.entries(logs)) line += ` - ${k}: ${formatValue(v, true)}`;
      return line;
    }
    const color = this.dynamic;
    let s = '';
    const width = 20;
    const steps = this.steps;
    if (steps === null) {
      // keras/src/utils/progbar.py: an unknown target shows the count only.
      s += `${color ? '\x1b[1m' : ''}${String(current).padStart(7)}/Unknown${color ? '\x1b[0m' : ''}`;
    } else {
      const digits = String(steps).length;
      const counter = `${String(current).padStart(digits)}/${steps}`;
      const done = steps > 0 ? Math.floor((width * current) / steps) : width;
      if (color) {
        s += `\x1b[1m${counter}\x1b[0m `;
        if (done > 0) s += `\x1b[32m${'━'.repeat(done)}\x1b[0m`;
        s += `\x1b[37m${'━'.repeat(width - done)}\x1b[0m`;
      } else {
        s += `${counter} ${'━'.repeat(width)}`;
      }
    }
    if (!final && steps !== null && steps > 0) {
      const eta = perStep * (steps - current);
      s += ` ${color ? '\x1b[1m' : ''}${eta > 60 ? `${Math.floor(eta / 60)}:${String(Math.floor(eta % 60)).padStart(2, '0')}` : `${Math.floor(eta)}s`}${color ? '\x1b[0m' : ''}`;
    } else {
      s += ` ${color ? '\x1b[1m' : ''}${Math.round(elapsed)}s${color ? '\x1b[0m' : ''}`;
    }
    s += formatTime(perStep);
    for (const [k, v] of Object.entries(logs)) s += ` - ${k}: ${formatValue(v)}`;
    return s;
  }
}
