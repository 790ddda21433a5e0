// The suite's subprocesses: `deno run --no-prompt <args>`, each a fresh realm
// with only the permissions its arguments give (one init per realm; the
// documented commands checked as written).
export const root = new URL('../', import.meta.url);

/** A path in this repository, from its root. */
export const path = (p: string): string => new URL(p, root).pathname;

/** Runs `deno run --no-prompt ...args` in `cwd` (default: the repository) and returns its exit code and output. */
export async function denoRun(args: string[], cwd = path('.')): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ['run', '--no-prompt', ...args],
    cwd,
    stdout: 'piped',
    stderr: 'piped',
    env: { NO_COLOR: '1' },
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout), err: text.decode(stderr) };
}
