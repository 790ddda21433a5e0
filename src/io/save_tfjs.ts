// TensorFlow.js layers-model writer: model.json ({format: 'layers-model',
// generatedBy, convertedBy, modelTopology, weightsManifest}) and the weights
// as little-endian float32 concatenated in manifest order, cut into shards.
// tfjs references: tfjs-core/src/io/types.ts (ModelJSON, WeightsManifestConfig),
// tfjs-layers/src/engine/container.ts (loadWeights: weights matched by name,
// e.g. 'lstm/kernel', 'bidirectional/forward_lstm/kernel', 'time_distributed/kernel').
import { InputLayer } from '../layers/input_layer';
import type { Layer } from '../layers/layer';
import type { Model } from '../models/model';
import type { Tensor } from '../tensor';
import { type Json, Problems, k2Topology } from './serialize';

/** A tfjs layers-model in memory: what `loadModel({ modelJson, weights })` and `tf.io.fromMemory` take. */
export interface TfjsArtifacts {
  /** The model.json object; `weightsManifest[0].paths` names the shards. */
  modelJson: Json;
  /** The `.bin` shards, in `paths` order. */
  weights: Uint8Array[];
}

export interface TfjsWriteOptions {
  /** Largest shard in bytes (default 4 MiB, as the tfjs converter). */
  shardSizeBytes?: number;
}

/** Weight names as tfjs-layers gives them (LayerVariable.originalName). */
function namedWeights(layer: Layer): { name: string; value: Tensor }[] {
  const any = layer as unknown as Record<string, unknown>;
  const scoped = (scope: string, l: Layer) => {
    const vals = l.getWeights();
    return l.weights.map((w, i) => ({ name: `${scope}/${w.name}`, value: vals[i] }));
  };
  if (layer.className === 'Bidirectional') {
    const f = any.forwardLayer as Layer;
    const b = any.backwardLayer as Layer;
    return [...scoped(`${layer.name}/${f.name}`, f), ...scoped(`${layer.name}/${b.name}`, b)];
  }
  if (layer.className === 'TimeDistributed') return scoped(layer.name, any.layer as Layer);
  return scoped(layer.name, layer);
}

/** The model as a tfjs layers-model; throws UnsupportedModelError listing everything tfjs cannot express. */
export function toTfjsArtifacts(model: Model, label: string, options: TfjsWriteOptions = {}): TfjsArtifacts {
  const shardSize = options.shardSizeBytes ?? 4 * 1024 * 1024;
  const problems = new Problems();
  const topology = k2Topology(model, problems);
  problems.throwIfAny(label);
  const entries = model.layers.filter((l) => !(l instanceof InputLayer)).flatMap(namedWeights);
  const total = entries.reduce((a, e) => a + e.value.size * 4, 0);
  const data = new Uint8Array(total);
  const view = new DataView(data.buffer);
  let at = 0;
  for (const e of entries) {
    const d = e.value.data;
    for (let i = 0; i < d.length; i++, at += 4) view.setFloat32(at, d[i], true);
  }
  const count = Math.max(1, Math.ceil(total / shardSize));
  const paths: string[] = [];
  const shards: Uint8Array[] = [];
  for (let s = 0; s < count; s++) {
    paths.push(`group1-shard${s + 1}of${count}.bin`);
    shards.push(data.slice(s * shardSize, Math.min(total, (s + 1) * shardSize)));
  }
  const modelJson: Json = {
    format: 'layers-model',
    generatedBy: 'rnn-wasm',
    convertedBy: null,
    // tfjs-layers writes its own version here; our loader reads any non-Keras-1/2 value as Keras 2 semantics.
    modelTopology: { ...topology, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths, weights: entries.map((e) => ({ name: e.name, shape: [...e.value.shape], dtype: 'float32' })) }],
  };
  return { modelJson, weights: shards };
}
