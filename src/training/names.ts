// Names the lazily loaded training namespaces accept as string identifiers,
// so compile() can reject a misspelt name at once, before the training code
// is loaded (src/training/lazy.ts). Compared after normalize(): lower case
// without '_' (getLoss/getMetric also take camelCase and class names).
// test/training/lazy.test.ts checks these against the implementations' lists.

export function normalizeName(s: string): string {
  return s.toLowerCase().replace(/_/g, '');
}

/** Accepted names (normalized) and the canonical ones to show in errors. */
export interface NameSet {
  has(name: string): boolean;
  readonly shown: readonly string[];
}

const set = (names: readonly string[]): NameSet => {
  const s = new Set(names.map(normalizeName));
  return { has: (n) => s.has(normalizeName(n)), shown: names };
};

export const OPTIMIZER_NAME_SET = set(["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion"]);
export const LOSS_NAME_SET = set(["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "cosine_similarity", "huber", "log_cosh", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "poisson", "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "bce", "kld", "mae", "mse", "mape", "msle", "crossentropy", "ce"]);
export const METRIC_NAME_SET = set(["accuracy", "acc", "bce", "mse", "mae", "mape", "msle", "mean_squared_error", "root_mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "cosine_similarity", "log_cosh_error", "auc", "false_negatives", "false_positives", "precision", "recall", "true_negatives", "true_positives", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "poisson", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"]);

/** Keras optimizer names (optimizers.get) -> class names. */
export const OPTIMIZER_CLASS: ReadonlyMap<string, string> = new Map([
  ['sgd', 'SGD'], ['adam', 'Adam'], ['adamw', 'AdamW'], ['rmsprop', 'RMSprop'], ['adagrad', 'Adagrad'],
  ['adadelta', 'Adadelta'], ['adamax', 'Adamax'], ['nadam', 'Nadam'], ['lion', 'Lion'],
]);
