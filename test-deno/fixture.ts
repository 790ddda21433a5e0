// Node pre-step of the Deno suite (run by test-deno/prepare.mjs, not by Deno):
// writes the README snippets' model as a Keras 3 `.keras` archive with the io
// test writers (test/io/helpers.ts) plus the numbers Node computes for it, so
// the Deno tests check Deno against Node and against a float64 reference.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, backend, type Tensor } from '../src/index';
import * as lib from '../src/index';
import { kerasArchive, layerEntry } from '../test/io/helpers';
import { snippetModel, snippetReference, SNIPPET_INPUT } from '../test-pkg/snippet_model';

export async function writeDenoFixture(dir: string): Promise<void> {
  await init();
  const model = snippetModel(lib);
  const output = model.predict(SNIPPET_INPUT) as Tensor;
  // Keras 3 Sequential config as model.to_json() writes it (see test/io/load_model.test.ts).
  const config = {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      trainable: true,
      dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, null, 3], dtype: 'float32', sparse: false, name: 'input_layer' } },
        ...model.layers.map((l) => layerEntry(l)),
      ],
    },
  };
  const bytes = await kerasArchive(config, model.layers);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.keras'), bytes);
  const expected = {
    backend: backend(),
    input: SNIPPET_INPUT,
    shape: output.shape,
    output: Array.from(output.data),
    reference: snippetReference(model.getWeights(), SNIPPET_INPUT),
  };
  writeFileSync(join(dir, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`);
  model.dispose();
}
