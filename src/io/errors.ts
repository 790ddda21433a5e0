// Errors of the io module: every message names the file and the problem.

/** A model file could not be read or does not describe a model this library can build. */
export class ModelLoadError extends Error {
  /** The file (path, URL, or a label for bytes) the error is about. */
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`);
    this.name = 'ModelLoadError';
    this.file = file;
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

/**
 * The config names layer classes or options this library does not support (every item is listed).
 * `alsoFound`: other problems of the file found in the same pass (weights it lacks), listed after the items.
 */
export class UnsupportedModelError extends ModelLoadError {
  readonly items: readonly string[];
  constructor(file: string, items: readonly string[], alsoFound: readonly string[] = []) {
    super(
      file,
      `the model uses ${items.length} unsupported item${items.length === 1 ? '' : 's'}:\n  - ${items.join('\n  - ')}` +
        (alsoFound.length > 0 ? `\nand its weights do not match the config:\n  - ${alsoFound.join('\n  - ')}` : ''),
    );
    this.name = 'UnsupportedModelError';
    this.items = items;
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * JSON.parse for untrusted configs: rejects `__proto__`, `constructor` and
 * `prototype` keys (no Keras config has them) with an error naming the file.
 */
export function parseJsonSafe(text: string, file: string, what: string): unknown {
  let bad: string | null = null;
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v) => {
      if (FORBIDDEN_KEYS.has(key) && bad === null) bad = key;
      return v;
    });
  } catch (e) {
    throw new ModelLoadError(file, `${what} is not valid JSON (${(e as Error).message}).`);
  }
  if (bad !== null) throw new ModelLoadError(file, `${what} contains the forbidden key '${bad}'; refusing to load it.`);
  return value;
}
