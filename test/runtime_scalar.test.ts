// The scalar build in its own realm (vitest isolates files): the core's scalar
// binary comes through its lazy import(), the scalar training module loads on
// its memory, and training gives the float64 reference's numbers.
import { expect, it } from 'vitest';
import { backend, init, loadTrainingKernels } from '../src/index';
import { MEMORY_LAYOUT } from '../src/wasm/abi.generated';
import { getRuntime } from '../src/wasm/module';
import { sgdSmoke } from './train_smoke';

it('init({ simd: false }) loads the scalar core lazily; the scalar training kernels train on its memory', async () => {
  await init({ simd: false });
  expect(backend()).toBe('scalar');
  const rt = getRuntime('test');
  expect(rt.exports.simd_enabled()).toBe(0);
  await loadTrainingKernels();
  expect(rt.exports.train_heap_base()).toBeLessThanOrEqual(MEMORY_LAYOUT.scalar.heapStart);
  const { maxWeightDiff, maxLossDiff } = await sgdSmoke();
  expect(maxWeightDiff).toBeLessThan(1e-6);
  expect(maxLossDiff).toBeLessThan(1e-6);
});
