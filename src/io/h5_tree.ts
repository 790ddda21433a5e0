// The plain tree an HDF5 file is read into (by h5_service.mjs, in the HDF5
// worker or in this thread): structured-clonable, so it crosses postMessage.
// Maps, not objects, hold members and attributes: a hostile file's names
// ('__proto__', 'constructor') are only ever Map keys.

/** An attribute's value, or why it could not be read. */
export type H5AttrValue = { value: unknown; error?: undefined } | { error: string; value?: undefined };

interface H5Object {
  /** Absolute path in the file ('/', '/model_weights/lstm'). */
  path: string;
  attrs: Map<string, H5AttrValue>;
  /** Set when the attribute names could not be listed. */
  attrsError?: string;
}

export interface H5Group extends H5Object {
  kind: 'group';
  children: Map<string, H5Node>;
  /** Set when the members could not be listed. */
  error?: string;
}

export interface H5Dataset extends H5Object {
  kind: 'dataset';
  shape: number[];
  /** h5wasm's dtype: '<f', '<d', '<i', ..., or an object for compound types. */
  dtype: unknown;
}

/** A member HDF5 could not open. */
export interface H5Broken {
  kind: 'error';
  path: string;
  error: string;
}

/** A soft or external link, a named datatype, or anything else that is not a group or a dataset. */
export interface H5Other {
  kind: 'other';
  path: string;
  what: string;
}

export type H5Node = H5Group | H5Dataset | H5Broken | H5Other;

export interface H5Limits {
  maxNodes: number;
  maxDepth: number;
  maxAttrBytes: number;
}
