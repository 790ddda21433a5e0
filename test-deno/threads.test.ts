// init({ threads }) in Deno (#14 item 2): the kernels' workers are module Web
// Workers from a Blob. Each case runs in its own `deno run` (one init per
// realm) with only --allow-read=dist; the 2-thread output must equal the
// single-threaded one bit for bit.
import { assertEquals } from './assert.ts';

const root = new URL('../', import.meta.url);
const path = (p: string) => new URL(p, root).pathname;

async function run(threads: number): Promise<{ backend: string; threads: number; shape: number[]; bits: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ['run', '--no-prompt', `--allow-read=${path('dist')}`, path('test-deno/threads_main.mjs'), String(threads)],
    cwd: path('.'),
    stdout: 'piped',
    stderr: 'piped',
    env: { NO_COLOR: '1' },
  }).output();
  const text = new TextDecoder();
  assertEquals(code, 0, `exit code (stderr: ${text.decode(stderr)})`);
  return JSON.parse(text.decode(stdout).trim().split('\n').pop() ?? 'null');
}

Deno.test('init({ threads: 2 }) runs two threads in Deno and gives the single-thread bits', async () => {
  const [one, two] = await Promise.all([run(1), run(2)]);
  assertEquals(one.backend, 'simd');
  assertEquals(two.backend, 'simd, 2 threads');
  assertEquals(two.threads, 2);
  assertEquals(two.shape, [9, 33]);
  assertEquals(two.bits, one.bits, 'same float32 bits');
});
