// Activation identifiers (Keras names) and the kernel ids of
// assembly/activations.ts. Only identifiers: the kernels run activations
// inside WASM, so arbitrary JS functions are not accepted.

/** Keras activation identifiers this library implements. */
export type ActivationIdentifier =
  | 'linear'
  | 'tanh'
  | 'sigmoid'
  | 'hard_sigmoid'
  | 'hard_sigmoid_keras2'
  | 'relu'
  | 'elu'
  | 'selu'
  | 'softplus'
  | 'softsign'
  | 'swish'
  | 'silu'
  | 'gelu'
  | 'exponential'
  | 'relu6'
  | 'leaky_relu';

// Must match the ACT_* constants in assembly/activations.ts.
const IDS: Record<ActivationIdentifier, number> = {
  linear: 0,
  tanh: 1,
  sigmoid: 2,
  // Keras 3: relu6(x + 3) / 6 (keras/src/activations/activations.py).
  hard_sigmoid: 3,
  // Keras 2 / tf.keras: clip(0.2x + 0.5, 0, 1). Not a Keras identifier: files
  // saved by Keras 2 map their 'hard_sigmoid' here when loaded.
  hard_sigmoid_keras2: 4,
  relu: 5,
  elu: 6,
  selu: 7,
  softplus: 8,
  softsign: 9,
  swish: 10,
  silu: 10,
  gelu: 11,
  exponential: 12,
  relu6: 13,
  leaky_relu: 14,
};

export const ACTIVATION_NAMES = Object.keys(IDS) as ActivationIdentifier[];

/**
 * Resolves an activation option to its canonical name. `null`/`undefined`
 * mean 'linear' as in Keras (activation=None).
 */
export function resolveActivation(value: unknown, context: string): ActivationIdentifier {
  if (value === null) return 'linear';
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(IDS, value)) {
    return value as ActivationIdentifier;
  }
  const got = typeof value === 'string' ? `'${value}'` : typeof value === 'function' ? 'a function' : String(value);
  throw new Error(
    `${context}: unknown activation ${got}; expected one of ${ACTIVATION_NAMES.map((n) => `'${n}'`).join(', ')} (or null for linear).`,
  );
}

/** The kernel id of a resolved activation name. */
export function activationId(name: ActivationIdentifier): number {
  return IDS[name];
}
