// The real-data examples (examples/spam.mjs, names.mjs, sine.mjs; issue #13 item 8) run on the
// built package with EXAMPLE_QUICK=1 (small data, 2 epochs): each exits 0, prints the lines that
// report what it learned, and prints the same numbers twice (they are seeded), timings aside.
// The full runs' numbers are in the README's Examples section.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, ROOT } from './setup/build-dist';

function run(name: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'examples', `${name}.mjs`)],
      { cwd: ROOT, env: { ...process.env, EXAMPLE_QUICK: '1' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The output without the wall-clock times ("in 0.3 s"). */
// Wall-clock figures vary between runs: "in 1.2 s" and a progress bar's "0s 10ms/step".
const untimed = (s: string) => s.replace(/ in \d+\.\d s/g, ' in # s').replace(/ \d+s \d+(?:\.\d+)?(?:us|ms|s)\/step/g, ' #s #/step');

const EXPECTED: Record<string, RegExp[]> = {
  spam: [
    /^spam classifier — rnn-wasm \((simd|scalar) build\) \[EXAMPLE_QUICK\]$/m,
    /^data: \d+ emails in the corpus; 240 for training .*, 60 held out for test$/m,
    /^epoch 1: loss \d\.\d{4} accuracy \d\.\d{4} val_loss \d\.\d{4} val_accuracy \d\.\d{4}$/m,
    /^epoch 2: /m,
    /^trained 2 epoch\(s\) in \d+\.\d s.*best val_loss at epoch [12] \(weights restored\)$/m,
    /^test accuracy: [01]\.\d{4} \(loss \d\.\d{4}\) on 60 unseen emails$/m,
    /^confusion: \d+ spam caught, \d+ spam missed, \d+ ham passed, \d+ ham flagged$/m,
    /^ {2}(spam|ham ) p=\d\.\d{3} \(truth: (spam|ham )\) {2}"/m,
  ],
  names: [
    /^name generator — rnn-wasm \((simd|scalar) build\) \[EXAMPLE_QUICK\]$/m,
    /^data: 400 names, 27 characters \(-abcdefghijklmnopqrstuvwxyz\), up to 15 letters/m,
    /^epoch 2: loss \d\.\d{4} accuracy \d\.\d{4} val_loss \d\.\d{4} val_accuracy \d\.\d{4}$/m,
    /^next-character accuracy on held-out names: \d\.\d{4}; perplexity \d+\.\d{2} per character/m,
    /^temperature 0\.5: .* \(\d\/4 not in the list\)$/m,
    /^temperature 0\.8: .* \(\d\/4 not in the list\)$/m,
    /^temperature 1: .* \(\d\/4 not in the list\)$/m,
  ],
  sine: [
    /^sine regressor — rnn-wasm \((simd|scalar) build\) \[EXAMPLE_QUICK\]$/m,
    /^epoch 2: loss \d\.\d{4} mae \d\.\d{4} val_loss \d\.\d{4} val_mae \d\.\d{4}$/m,
    /^validation MAE: GRU \d\.\d{4} \(fit's val_mae \d\.\d{4}\); naive: last reading \d\.\d{4}, window mean \d\.\d{4}$/m,
    /^ {2}window 2: last reading -?\d\.\d{3}, GRU -?\d\.\d{3}, truth -?\d\.\d{3}$/m,
  ],
};

describe('examples/*.mjs (EXAMPLE_QUICK=1)', () => {
  beforeAll(() => {
    ensureDist();
  }, 300_000);

  for (const name of Object.keys(EXPECTED)) {
    it(`${name}.mjs exits 0, prints its results, and is reproducible`, async () => {
      const [a, b] = await Promise.all([run(name), run(name)]);
      for (const r of [a, b]) {
        expect(r.stderr, `${name}.mjs stderr`).toBe('');
        expect(r.code, `${name}.mjs exit code; stdout:\n${r.stdout}`).toBe(0);
      }
      for (const re of EXPECTED[name]) expect(a.stdout, `${name}.mjs output`).toMatch(re);
      expect(untimed(b.stdout)).toBe(untimed(a.stdout));
    }, 60_000);
  }

  it("sine.mjs's printed val_mae is the model's MAE recomputed from predict", async () => {
    const { stdout } = await run('sine');
    const m = /validation MAE: GRU (\d\.\d{4}) \(fit's val_mae (\d\.\d{4})\)/.exec(stdout);
    expect(m, stdout).not.toBeNull();
    expect(Math.abs(Number(m![1]) - Number(m![2]))).toBeLessThanOrEqual(1e-4);
  }, 60_000);
});
