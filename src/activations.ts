import { ValueError } from './errors';
// Activation identifiers (Keras names) and the kernel ids of
// assembly/activations.ts. Only identifiers: the kernels run activations
// inside WASM, so arbitrary JS functions are not accepted.
import {
  ACT_ELU, ACT_EXPONENTIAL, ACT_GELU, ACT_HARD_SIGMOID, ACT_HARD_SIGMOID_K2, ACT_LEAKY_RELU, ACT_LINEAR, ACT_RELU,
  ACT_RELU6, ACT_SELU, ACT_SIGMOID, ACT_SOFTPLUS, ACT_SOFTSIGN, ACT_SWISH, ACT_TANH,
} from './wasm/abi.generated';

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

// The kernel ids: the ACT_* constants of assembly/activations.ts.
const IDS: Record<ActivationIdentifier, number> = {
  linear: ACT_LINEAR,
  tanh: ACT_TANH,
  sigmoid: ACT_SIGMOID,
  // Keras 3: relu6(x + 3) / 6 (keras/src/activations/activations.py).
  hard_sigmoid: ACT_HARD_SIGMOID,
  // Keras 2 / tf.keras: clip(0.2x + 0.5, 0, 1). Not a Keras identifier: files
  // saved by Keras 2 map their 'hard_sigmoid' here when loaded.
  hard_sigmoid_keras2: ACT_HARD_SIGMOID_K2,
  relu: ACT_RELU,
  elu: ACT_ELU,
  selu: ACT_SELU,
  softplus: ACT_SOFTPLUS,
  softsign: ACT_SOFTSIGN,
  swish: ACT_SWISH,
  silu: ACT_SWISH,
  gelu: ACT_GELU,
  exponential: ACT_EXPONENTIAL,
  relu6: ACT_RELU6,
  leaky_relu: ACT_LEAKY_RELU,
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
  throw new ValueError(
    `${context}: unknown activation ${got}; expected one of ${ACTIVATION_NAMES.map((n) => `'${n}'`).join(', ')} (or null for linear).`,
  );
}

/** The kernel id of a resolved activation name. */
export function activationId(name: ActivationIdentifier): number {
  return IDS[name];
}
