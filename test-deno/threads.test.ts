// init({ threads }) in Deno (#14 item 2): the kernels' workers are module Web
// Workers from a Blob. Each case runs in its own `deno run` (one init per
// realm) with only --allow-read=dist; the 2-thread output must equal the
// single-threaded one bit for bit.
import { assertEquals } from './assert.ts';
import { denoRun, path } from './run.ts';

async function run(threads: number): Promise<{ backend: string; threads: number; shape: number[]; bits: string }> {
  const { code, out, err } = await denoRun([`--allow-read=${path('dist')}`, path('test-deno/threads_main.mjs'), String(threads)]);
  assertEquals(code, 0, `exit code (stderr: ${err})`);
  return JSON.parse(out.trim().split('\n').pop() ?? 'null');
}

Deno.test('init({ threads: 2 }) runs two threads in Deno and gives the single-thread bits', async () => {
  const [one, two] = await Promise.all([run(1), run(2)]);
  assertEquals(one.backend, 'simd');
  assertEquals(two.backend, 'simd, 2 threads');
  assertEquals(two.threads, 2);
  assertEquals(two.shape, [9, 33]);
  assertEquals(two.bits, one.bits, 'same float32 bits');
});
