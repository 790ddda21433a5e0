// Error classes a caller can catch by kind (as tfjs-layers' ValueError /
// NotImplementedError; Keras raises ValueError for bad arguments).
// io/errors.ts adds ModelLoadError and UnsupportedModelError for model files.
// Every message starts with what raised it ("LSTM 'lstm_1': ...", "tensor: ...").

/** An argument, option or input with a wrong value or shape (Keras's ValueError). */
export class ValueError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'ValueError';
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

/**
 * A size over the memory budget (src/limits.ts): a layer, tensor or file that would
 * need more memory than the limit, refused before anything is allocated.
 */
export class ResourceLimitError extends ValueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResourceLimitError';
  }
}

/** A Keras feature this library does not implement (tfjs's NotImplementedError). */
export class NotImplementedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'NotImplementedError';
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}
