// Legacy Keras 2 / tf.keras (and Keras 3 `save('x.h5')`) full-model HDF5
// files: a `model_config` attribute (JSON) and a `model_weights` group with
// one group per layer whose `weight_names` attribute gives the order.
// Keras reference: keras/src/legacy/saving/legacy_h5_format.py.
import { type WeightSource, buildModel } from './config';
import { ModelLoadError, parseJsonSafe } from './errors';
import { type H5Group, type H5Options, H5Reader, type StoredWeight, attrString, attrStrings } from './h5';
import type { Model } from '../models/model';

export function legacyWeightsSource(h5: H5Reader): WeightSource {
  const root = h5.group('model_weights') ?? h5.group('');
  const names = root ? h5.keys(root) : [];
  const groupOf = (name: string): H5Group | null => {
    if (!root) return null;
    const hit = names.find((k) => k === name) ?? names.find((k) => k.replace(/\\/g, '/') === name);
    if (hit === undefined) return null;
    const g = h5.member(root, hit);
    return h5.isGroup(g) ? g : null;
  };
  return {
    weightsFor(name): StoredWeight[] | null {
      const g = groupOf(name);
      return g ? listed(h5, g).map((w) => w.weight) : null;
    },
    nested(name): WeightSource | null {
      const g = groupOf(name);
      return g ? nestedSource(listed(h5, g)) : null;
    },
  };
}

/** A layer group's weights in weight_names order, with their names. */
function listed(h5: H5Reader, g: H5Group): { name: string; weight: StoredWeight }[] {
  const wn = attrStrings(h5.attr(g, 'weight_names'));
  if (wn === undefined) throw new ModelLoadError(h5.label, `layer group '${g.path}' has no readable weight_names attribute.`);
  return wn.map((w) => {
    let e = h5.get(`${g.path}/${w}`);
    if (!h5.isDataset(e) && w.includes('\\')) e = h5.get(`${g.path}/${w.replace(/\\/g, '/')}`);
    if (!h5.isDataset(e)) throw new ModelLoadError(h5.label, `weight '${w}' listed in '${g.path}' weight_names is missing.`);
    return { name: w, weight: h5.weight(e) };
  });
}

/**
 * The layers of a nested model in a legacy file: Keras 2 / tf.keras save the
 * nested model as one group listing every weight of its layers, trainable ones
 * first (keras/engine/network.py Network.weights), named '<layer>/<weight>:0'
 * (possibly under the model's name). A layer's weights are the ones with its
 * name as a path segment, in listed order, which is that layer's own order.
 */
function nestedSource(weights: { name: string; weight: StoredWeight }[]): WeightSource {
  const of = (layer: string) => weights.filter((w) => w.name.replace(/\\/g, '/').split('/').slice(0, -1).includes(layer));
  return {
    weightsFor(name) {
      const hit = of(name);
      return hit.length > 0 ? hit.map((w) => w.weight) : null;
    },
    nested(name) {
      const hit = of(name);
      return hit.length > 0 ? nestedSource(hit) : null;
    },
  };
}

export async function loadLegacyH5(bytes: Uint8Array, file: string, options: { maxWeights?: number } & H5Options): Promise<Model> {
  const h5 = await H5Reader.open(bytes, file, 'HDF5 file', options);
  try {
    const raw = attrString(h5.attr(h5.root, 'model_config'));
    if (raw === undefined) {
      throw new ModelLoadError(file, `the HDF5 file has no model_config attribute: it holds weights only (save the full model with model.save()).`);
    }
    const config = parseJsonSafe(raw, file, 'the model_config attribute');
    const mw = h5.group('model_weights');
    const version = attrString(h5.attr(h5.root, 'keras_version')) ?? (mw ? attrString(h5.attr(mw, 'keras_version')) : undefined) ?? '';
    return await buildModel(config, legacyWeightsSource(h5), { file, kerasVersion: version, maxWeights: options.maxWeights });
  } finally {
    h5.close();
  }
}
