// The model viewer (web/, `npm run demo:web`) in headless Chromium: real
// model files are dropped on its file input, run, and drawn. Checks the
// summary, the output (against the same bundle in Node), the hidden-state
// and gate heatmaps (present, non-blank, many colours), error messages for a
// bad file, and that the page logs no errors. The page is 1400 px wide, where
// the whole summary() table must show without scrolling. Saves a full-page
// screenshot to build/artefacts/demo-web.png (and to docs/demo-web.png, the
// README's picture, when UPDATE_DEMO_SCREENSHOT=1).
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type RnnWasm, type Served, launchChromium, loadDist, openPage, serve } from './harness';

const MODELS = resolve(REPO_ROOT, 'examples/models');
const WILD = resolve(REPO_ROOT, '..', 'shared', 'keras-wild');
const ARTEFACTS = resolve(REPO_ROOT, 'build/artefacts');
const TEXT = 'i thought the acting was wonderful but the plot was dull';
const WIDTH = 1400;

let rnn: RnnWasm;
let server: Served;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  rnn = await loadDist();
  await rnn.init();
  [server, browser] = await Promise.all([serve(), launchChromium()]);
  ({ page, errors } = await openPage(browser, `${server.url}/web/`));
  await page.setViewportSize({ width: WIDTH, height: 900 });
  await waitState('ready');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Waits for the page's body[data-state]; on 'error' fails with the page's message. */
async function waitState(want: string): Promise<void> {
  const handle = await page.waitForFunction(
    (w) => (document.body.dataset.state === w || document.body.dataset.state === 'error' ? document.body.dataset.state : null),
    want,
    { timeout: 30_000 },
  );
  const got = await handle.jsonValue();
  if (got !== want) throw new Error(`the page reported an error: ${await page.textContent('#status')}`);
}

/** Per heatmap canvas in a layer section: caption, size, distinct colours and non-white pixels. */
async function heatmaps(layerName: string): Promise<{ caption: string; w: number; h: number; colours: number; inked: number }[]> {
  return page.$$eval(`section.layer[data-layer="${layerName}"] figure.heatmap`, (figs) =>
    figs.map((fig) => {
      const c = fig.querySelector('canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      let inked = 0;
      for (let i = 0; i < d.length; i += 4) {
        seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) inked++;
      }
      return { caption: fig.querySelector('figcaption')!.textContent ?? '', w: c.width, h: c.height, colours: seen.size, inked };
    }),
  );
}

/** The summary box: its text, whether it scrolls either way, and whether it lies inside the viewport. */
async function summaryBox(): Promise<{ text: string; scrollsX: boolean; scrollsY: boolean; left: number; right: number }> {
  return page.$eval('#summary', (el) => {
    const r = el.getBoundingClientRect();
    return { text: el.textContent ?? '', scrollsX: el.scrollWidth > el.clientWidth, scrollsY: el.scrollHeight > el.clientHeight, left: r.left, right: r.right };
  });
}

/** The whole table shows: no scrolling, inside the page's width, the columns' headers present. */
async function expectWholeSummary(headers: string[]): Promise<void> {
  const box = await summaryBox();
  for (const h of headers) expect(box.text).toContain(h);
  expect(box.scrollsX, 'the summary scrolls sideways').toBe(false);
  expect(box.scrollsY, 'the summary scrolls down').toBe(false);
  expect(box.left).toBeGreaterThanOrEqual(0);
  expect(box.right).toBeLessThanOrEqual(WIDTH);
}

/** What is left of a run on the page: the output line, the values, heatmap sections, chart ink. */
async function results(): Promise<{ echo: string; output: string; layers: number; chartInk: number }> {
  return page.evaluate(() => {
    const c = document.getElementById('output-chart') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let chartInk = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) chartInk++;
    return {
      echo: document.getElementById('input-echo')!.textContent ?? '',
      output: document.getElementById('output')!.textContent ?? '',
      layers: document.querySelectorAll('#layers section.layer').length,
      chartInk,
    };
  });
}

const NO_RESULTS = { echo: '', output: '', layers: 0, chartInk: 0 };

function outputNumbers(text: string): number[] {
  return text.split('\n').slice(1).join(' ').trim().split(/\s+/).filter((s) => /^-?\d/.test(s)).map(Number);
}

describe('web model viewer (npm run demo:web)', () => {
  it('starts: the library initialises in the page', async () => {
    expect(await page.textContent('#backend')).toMatch(/WebAssembly (simd|scalar) build ready/);
    expect(await page.isDisabled('#run')).toBe(true);
  });

  it('a dropped .keras model with its tokenizer: summary, text input, output as in Node, GRU heatmaps for both directions', async () => {
    await page.setInputFiles('#model-file', [resolve(MODELS, 'sentiment-bigru.keras'), resolve(MODELS, 'sentiment-bigru.tokenizer.json')]);
    await waitState('loaded');
    const summary = (await page.textContent('#summary')) ?? '';
    for (const s of ['embedding (Embedding)', 'bidirectional (Bidirectional)', 'dense (Dense)', 'Total params']) expect(summary).toContain(s);
    await expectWholeSummary(['Layer (type)', 'Output Shape', 'Param #']);
    // The example picker does not name a bundled model while a dropped file is shown.
    expect(await page.$eval('#example', (el) => (el as HTMLSelectElement).value)).toBe('');
    expect(await page.$eval('#example', (el) => (el as HTMLSelectElement).selectedOptions[0].textContent)).toBe('choose an example…');
    expect(await page.isDisabled('#load-example')).toBe(true);
    expect(await page.isChecked('input[name="mode"][value="text"]')).toBe(true);
    await page.fill('#text-input', TEXT);
    await page.click('#run');
    await waitState('done');

    // Same bundle in Node on the same token ids.
    const tok = rnn.tokenizerFromJson(readFileSync(resolve(MODELS, 'sentiment-bigru.tokenizer.json'), 'utf8'));
    const ids = tok.textsToSequences([TEXT])[0];
    const model = await rnn.loadModel(resolve(MODELS, 'sentiment-bigru.keras'));
    const want = (model.predict(new rnn.Tensor(Int32Array.from(ids), [1, ids.length], 'int32')) as InstanceType<RnnWasm['Tensor']>).data[0];
    model.dispose();
    const got = outputNumbers((await page.textContent('#output')) ?? '');
    expect(got.length).toBe(1);
    expect(Math.abs(got[0] - want)).toBeLessThanOrEqual(5e-5);
    expect(await page.textContent('#input-echo')).toContain(`wonderful=${tok.wordIndex.get('wonderful')}`);

    for (const name of ['forward_gru', 'backward_gru']) {
      const maps = await heatmaps(name);
      expect(maps.map((m) => m.caption)).toEqual(['hidden state h', 'gate z (update)', 'gate r (reset)', 'gate h (candidate)']);
      for (const m of maps) {
        expect(m.w, `${name} ${m.caption} width`).toBeGreaterThanOrEqual(ids.length * 4);
        expect(m.colours, `${name} ${m.caption}: distinct colours`).toBeGreaterThan(20);
        expect(m.inked, `${name} ${m.caption}: coloured pixels`).toBeGreaterThan(m.w * 10);
      }
    }
    mkdirSync(ARTEFACTS, { recursive: true });
    const shot = resolve(ARTEFACTS, 'demo-web.png');
    // The picture shows the whole summary table, at the page's 1400 px.
    await expectWholeSummary(['Param #', 'Trainable params']);
    expect(page.viewportSize()?.width).toBe(WIDTH);
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).readUInt32BE(16), 'screenshot width').toBe(WIDTH);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    if (process.env.UPDATE_DEMO_SCREENSHOT === '1') copyFileSync(shot, resolve(REPO_ROOT, 'docs/demo-web.png'));
  });

  it('a bundled example (LSTM in a legacy .h5) on random input: i, f, c, o gate heatmaps and an output chart', async () => {
    await page.selectOption('#example', 'sine-lstm');
    expect(await page.isDisabled('#load-example')).toBe(false);
    await page.click('#load-example');
    await waitState('loaded');
    expect(await page.$eval('#example', (el) => (el as HTMLSelectElement).value)).toBe('sine-lstm');
    expect(await page.textContent('#summary')).toContain('lstm (LSTM)');
    await page.check('input[name="mode"][value="random"]');
    await page.fill('#timesteps', '30');
    await page.click('#run');
    await waitState('done');
    const maps = await heatmaps('lstm');
    expect(maps.map((m) => m.caption)).toEqual([
      'hidden state h', 'gate i (input)', 'gate f (forget)', 'gate c (candidate cell)', 'gate o (output)',
    ]);
    for (const m of maps) expect(m.colours, m.caption).toBeGreaterThan(20);
    expect(outputNumbers((await page.textContent('#output')) ?? '').length).toBe(30);
    const chartInk = await page.$eval('#output-chart', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(chartInk).toBeGreaterThan(100);
  });

  it('a real-world Keras 2 file from shared/keras-wild (Bidirectional GRU, fixed 60 timesteps) runs on random input', async () => {
    const file = resolve(WILD, 'tf2.7-bigru-sequence-regressor', 'bigru_model.h5');
    expect(existsSync(file), `missing ${file}: this test needs ../shared/keras-wild beside the repository`).toBe(true);
    await page.setInputFiles('#model-file', file);
    await waitState('loaded');
    expect(await page.isDisabled('#timesteps')).toBe(true);
    expect(await page.isDisabled('#mode-text')).toBe(true);
    await page.click('#run');
    await waitState('done');
    const maps = await heatmaps('backward_gru');
    expect(maps.length).toBe(4);
    expect(maps[0].w).toBe(60 * 10); // 60 timesteps, 10 px each
  });

  it('a broken file and a wrong typed input show a message, and the page keeps working', async () => {
    await page.setInputFiles('#model-file', { name: 'broken.keras', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
    await waitState('error');
    expect(await page.isVisible('#status')).toBe(true);
    expect(await page.textContent('#status')).toMatch(/broken\.keras.*not a Keras model file/);

    await page.selectOption('#example', 'brackets-simplernn');
    await page.click('#load-example');
    await waitState('loaded');
    expect(await page.isHidden('#status')).toBe(true);
    expect(await page.isChecked('input[name="mode"][value="json"]')).toBe(true);
    await page.fill('#json-input', '[[1, 0], [0, 1, 0]]');
    await page.click('#run');
    await waitState('error');
    expect(await page.textContent('#status')).toContain('ragged');
    await page.fill('#json-input', '[[1, 0, 0]]');
    await page.click('#run');
    await waitState('error');
    expect(await page.textContent('#status')).toContain('expected one sample of shape (None, 2), received shape (1, 3)');
    await page.fill('#json-input', '[[1, 0], [1, 0], [0, 1]]');
    await page.click('#run');
    await waitState('done');
    const maps = await heatmaps('simple_rnn');
    expect(maps.map((m) => m.caption)).toEqual(['hidden state h']);
  });

  it('the widest summary (a functional Keras 3 model: Connected to) shows whole at 1400 px', async () => {
    const file = resolve(WILD, 'k3.8-seq2seq-functional-keras', 'my_model.keras');
    expect(existsSync(file), `missing ${file}: this test needs ../shared/keras-wild beside the repository`).toBe(true);
    await page.setInputFiles('#model-file', file);
    await waitState('loaded');
    await expectWholeSummary(['Layer (type)', 'Output Shape', 'Param #', 'Connected to', 'input_layer_2[0][0]']);
    expect(Math.max(...(await summaryBox()).text.split('\n').map((l) => l.length))).toBeGreaterThanOrEqual(110);
  });

  it('loading another model drops the previous output line, results and typed input; errors drop results', async () => {
    await page.selectOption('#example', 'sine-lstm');
    await page.click('#load-example');
    await waitState('loaded');
    expect(await page.isChecked('input[name="mode"][value="json"]')).toBe(true);
    await page.click('#run');
    await waitState('done');
    const ran = await results();
    expect(ran.echo).toContain('ran in');
    expect(ran.layers).toBe(1);
    expect(ran.chartInk).toBeGreaterThan(100);
    const sineJson = await page.inputValue('#json-input');

    // Another model from a file: nothing of the sine model's run or input stays.
    await page.setInputFiles('#model-file', resolve(MODELS, 'brackets-simplernn.keras'));
    await waitState('loaded');
    expect(await results()).toEqual(NO_RESULTS);
    const typed = await page.inputValue('#json-input');
    expect(typed).not.toBe(sineJson);
    const sample = JSON.parse(typed) as number[][];
    expect(sample.length).toBe(8); // open timesteps: 8 in the template
    expect(sample.every((row) => row.length === 2)).toBe(true); // brackets-simplernn takes 2 features
    expect(await page.$eval('#example', (el) => (el as HTMLSelectElement).value)).toBe('');
    await page.check('input[name="mode"][value="json"]');
    await page.click('#run');
    await waitState('done');
    expect((await results()).layers).toBe(1);

    // A failed run leaves only the message.
    await page.fill('#json-input', '[[1, 0, 0]]');
    await page.click('#run');
    await waitState('error');
    expect(await page.textContent('#status')).toContain('expected one sample of shape (None, 2), received shape (1, 3)');
    expect(await results()).toEqual(NO_RESULTS);
    // So does a failed load (the loaded model stays, as the model line says).
    await page.fill('#json-input', '[[1, 0], [0, 1]]');
    await page.click('#run');
    await waitState('done');
    await page.setInputFiles('#model-file', { name: 'broken.h5', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
    await waitState('error');
    expect(await results()).toEqual(NO_RESULTS);
    expect(await page.textContent('#model-name')).toContain('brackets-simplernn.keras');
  });

  it("shapes print as Python's tuples: (None,) for one dimension", async () => {
    await page.selectOption('#example', 'sentiment-bigru');
    await page.click('#load-example');
    await waitState('loaded');
    const inputShape = (await page.textContent('#input-shape')) ?? '';
    const m = /input '[^']+' (\([^)]*\))/.exec(inputShape);
    expect(m, inputShape).not.toBeNull();
    const sampleShape = `(${m![1].slice(1, -1).split(', ').slice(1).join(', ')},)`; // one sample: the shape without the batch
    await page.check('input[name="mode"][value="json"]');
    await page.fill('#json-input', '[[1, 2]]');
    await page.click('#run');
    await waitState('error');
    expect(await page.textContent('#status')).toContain(`expected one sample of shape ${sampleShape}, received shape (1, 2)`);
    expect(sampleShape).toMatch(/^\((None|\d+),\)$/);
  });

  it('logged no errors', () => {
    expect(errors).toEqual([]);
  });
});
