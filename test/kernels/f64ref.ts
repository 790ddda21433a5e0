// Float64 reference activations for kernel tests. Each takes the float32 input
// (as a JS number) and returns the exact-as-practical float64 result, with the
// mathematical limits at +-Infinity and NaN -> NaN. Written for clarity, not
// speed; accuracy is ~1e-15 relative everywhere the kernels are checked.

const SQRT1_2 = Math.SQRT1_2;
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

/** erf(z) = 2/sqrt(pi) e^{-z^2} sum_n 2^n z^{2n+1} / (1*3*...*(2n+1)); all terms positive (no cancellation). */
function erfSeries(z: number): number {
  const z2 = z * z;
  let term = z;
  let sum = z;
  for (let n = 1; n < 400; n++) {
    term *= (2 * z2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-z2) * sum;
}

/** erfc(z) for z >= 3 by the Laplace continued fraction e^{-z^2}/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))). */
function erfcContinuedFraction(z: number): number {
  let f = z;
  for (let k = 300; k >= 1; k--) f = z + k / 2 / f;
  return (INV_SQRT_PI * Math.exp(-z * z)) / f;
}

export function erf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return -erf(-z);
  if (z < 3) return erfSeries(z);
  return 1 - erfcContinuedFraction(z);
}

export function erfc(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return 2 - erfc(-z);
  if (z === Infinity) return 0;
  if (z < 3) return 1 - erfSeries(z);
  return erfcContinuedFraction(z);
}

/** Standard normal CDF, accurate in relative terms in the lower tail. */
export function normalCdf(x: number): number {
  return x < 0 ? 0.5 * erfc(-x * SQRT1_2) : 1 - 0.5 * erfc(x * SQRT1_2);
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** Float64 reference per activation id (same ids as assembly/activations.ts). */
export const REF: Record<number, { name: string; f: (x: number) => number }> = {
  0: { name: 'linear', f: (x) => x },
  1: { name: 'tanh', f: (x) => Math.tanh(x) },
  2: { name: 'sigmoid', f: sigmoid },
  3: { name: 'hard_sigmoid', f: (x) => Math.min(Math.max(x + 3, 0), 6) / 6 },
  4: { name: 'hard_sigmoid_k2', f: (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1) },
  5: { name: 'relu', f: (x) => (Number.isNaN(x) ? NaN : x > 0 ? x : 0) },
  6: { name: 'elu', f: (x) => (x > 0 || Object.is(x, 0) || Object.is(x, -0) ? x : Math.expm1(x)) },
  7: { name: 'selu', f: (x) => SELU_SCALE * (x > 0 || x === 0 ? x : SELU_ALPHA * Math.expm1(x)) },
  8: {
    name: 'softplus',
    f: (x) => (Number.isNaN(x) ? NaN : Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))),
  },
  9: { name: 'softsign', f: (x) => (Math.abs(x) === Infinity ? Math.sign(x) : x / (1 + Math.abs(x))) },
  10: { name: 'swish', f: (x) => (x === -Infinity ? -0 : x * sigmoid(x)) },
  11: { name: 'gelu', f: (x) => (x === -Infinity ? -0 : x * normalCdf(x)) },
  12: { name: 'exponential', f: (x) => Math.exp(x) },
  13: { name: 'relu6', f: (x) => (Number.isNaN(x) ? NaN : Math.min(Math.max(x, 0), 6)) },
  14: { name: 'leaky_relu', f: (x) => (x >= 0 ? x : 0.2 * x) },
};

/**
 * Central difference of L(v) = Σ f(v)·R with respect to coordinate i, in
 * float64: the finite-difference side of the backward kernels' checks.
 */
export function centralDiff(f: (v: Float64Array) => Float64Array, v: Float64Array, R: ArrayLike<number>, i: number, eps: number): number {
  const L = (w: Float64Array): number => f(w).reduce((a, y, j) => a + y * R[j], 0);
  const p = Float64Array.from(v);
  p[i] += eps;
  const lp = L(p);
  p[i] -= 2 * eps;
  return (lp - L(p)) / (2 * eps);
}
