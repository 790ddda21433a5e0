// Issue #11 item 12 (acceptance): no error message produced by the test suite repeats its
// prefix ("LSTM 'lstm_3': LSTM 'lstm_3': option units ..."). Loaded by vitest.config.ts as a
// setup file: Error, TypeError and RangeError are wrapped so every message built while the
// tests run is checked when the error is constructed (library errors, whether the test
// expects them or not); each test file then fails in afterAll if any message repeated its
// prefix, listing them. repeatedPrefix() is the rule, tested in test/error_prefix.test.ts.
import { afterAll } from 'vitest';

/**
 * The prefix of a message is its text before the first ': ' (at most 160 characters in).
 * It is repeated when the rest of the message has it again at the start of a ': '-separated
 * part, followed by ':' or ' ' ("X: X: ..." or "X: Y: X option ..."). Returns the prefix, or null.
 */
export function repeatedPrefix(message: string): string | null {
  const cut = message.indexOf(': ');
  if (cut <= 0 || cut > 160) return null;
  const prefix = message.slice(0, cut);
  const rest = message.slice(cut + 2);
  let at = 0;
  for (;;) {
    if (rest.startsWith(prefix, at)) {
      const next = rest[at + prefix.length];
      if (next === ':' || next === ' ') return prefix;
    }
    const i = rest.indexOf(': ', at);
    if (i < 0) return null;
    at = i + 2;
  }
}

const found: string[] = [];
const g = globalThis as Record<string, unknown>;
const MARK = Symbol.for('rnn-wasm.error-prefix-check');

for (const name of ['Error', 'TypeError', 'RangeError'] as const) {
  const Original = g[name] as ErrorConstructor & { [MARK]?: true };
  if (Original[MARK]) continue;
  const construct = (target: ErrorConstructor, args: unknown[], newTarget: Function): object => {
    const msg = args[0];
    if (typeof msg === 'string' && repeatedPrefix(msg) !== null) found.push(msg);
    const e = Reflect.construct(target as Function, args, newTarget === Checked ? target : newTarget) as object;
    // Stacks start where the error was made, not in this check.
    Original.captureStackTrace?.(e, construct);
    return e;
  };
  const Checked = new Proxy(Original, {
    construct,
    apply(target, thisArg, args) {
      const msg = args[0];
      if (typeof msg === 'string' && repeatedPrefix(msg) !== null) found.push(msg);
      return Reflect.apply(target, thisArg, args);
    },
    get(target, key, receiver) {
      if (key === MARK) return true;
      return Reflect.get(target, key, receiver);
    },
  });
  g[name] = Checked;
}

afterAll(() => {
  if (found.length > 0) {
    const list = [...new Set(found)].map((m) => `  - ${m.length > 300 ? `${m.slice(0, 297)}...` : m}`).join('\n');
    found.length = 0;
    throw new Error(`error messages that repeat their prefix (issue #11 item 12):\n${list}`);
  }
});
