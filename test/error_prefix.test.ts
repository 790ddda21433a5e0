// The rule of test/setup/error_prefix.ts (every test file checks, through that setup file,
// that no error message built while it ran repeats its prefix), and that the check is live.
import { describe, expect, it } from 'vitest';
import { repeatedPrefix } from './setup/error_prefix';

describe('repeatedPrefix', () => {
  it('finds a prefix repeated at the start of a later part', () => {
    expect(repeatedPrefix("LSTM 'lstm_3': LSTM 'lstm_3': option units must be a positive integer")).toBe("LSTM 'lstm_3'");
    expect(repeatedPrefix("a.keras: LSTM 'l': a.keras: x")).toBe('a.keras');
    expect(repeatedPrefix("LSTM 'l': input: LSTM 'l' option activation: unknown")).toBe("LSTM 'l'");
  });

  it('leaves ordinary messages alone', () => {
    expect(repeatedPrefix("LSTM 'lstm_3': option units must be a positive integer, received '8'.")).toBeNull();
    expect(repeatedPrefix("f.keras: the model uses 1 unsupported item:\n  - LSTM 'l': option 'x' = 1")).toBeNull();
    expect(repeatedPrefix("Dense 'd': expected input with 3 features (Dense 'd' was built for [null, 3])")).toBeNull();
    expect(repeatedPrefix('no prefix here')).toBeNull();
    expect(repeatedPrefix('')).toBeNull();
  });

  it('is wired in: Error is checked by the setup file in this very file', () => {
    const E = Error as unknown as Record<symbol, unknown>;
    expect(E[Symbol.for('rnn-wasm.error-prefix-check')]).toBe(true);
    expect(new Error('x') instanceof Error).toBe(true);
    expect(new TypeError('y')).toBeInstanceOf(Error);
    class Sub extends Error {}
    expect(new Sub('z')).toBeInstanceOf(Sub);
    expect(Object.getPrototypeOf(new Sub('z'))).toBe(Sub.prototype);
    expect(new Error('m', { cause: 1 }).cause).toBe(1);
  });
});
