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

/** Deepest nesting of arrays and objects accepted in a config (Keras configs nest a few dozen levels). */
export const MAX_JSON_DEPTH = 1000;

/** The deepest nesting of `[` / `{` in JSON text (strings skipped), stopping once it passes `limit`. */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * JSON.parse for untrusted configs: refuses nesting deeper than MAX_JSON_DEPTH before parsing
 * (deep nesting would exhaust the stack in any recursive walk), and `__proto__`, `constructor`
 * and `prototype` keys (no Keras config has them), found by an iterative walk; errors name the file.
 */
export function parseJsonSafe(text: string, file: string, what: string): unknown {
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new ModelLoadError(file, `${what} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; refusing to read it (no Keras config is that deep).`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(file, `${what} is not valid JSON (${(e as Error).message}).`);
  }
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) throw new ModelLoadError(file, `${what} contains the forbidden key '${key}'; refusing to load it.`);
      const x = (v as Record<string, unknown>)[key];
      if (x !== null && typeof x === 'object') stack.push(x);
    }
  }
  return value;
}
