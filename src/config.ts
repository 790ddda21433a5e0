import { ValueError } from './errors';
// Config and identifier helpers shared by initializers.ts, regularizers.ts and
// constraints.ts: Keras-style names, config validation with clear errors.
// Internal: not part of the public API (src/index.ts does not re-export it).

// ---------------------------------------------------------------------------
// Shared helpers (@internal: used by regularizers.ts and constraints.ts)
// ---------------------------------------------------------------------------

/** @internal Short, readable rendering of any received value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  // A numeric string where a number was meant (a value read from a form, argv or JSON text) says so.
  if (typeof value === 'string') return value.trim() !== '' && !Number.isNaN(Number(value)) ? `${JSON.stringify(value)} (a string)` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) {
    return `a ${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  }
  try {
    const s = JSON.stringify(value);
    if (s === undefined) return String(value);
    return s.length > 100 ? `${s.slice(0, 97)}...` : s;
  } catch {
    return Array.isArray(value) ? 'an array' : 'an object';
  }
}

/** @internal Keras's `naming.to_snake_case` (e.g. GlorotUniform -> glorot_uniform, L1L2 -> l1l2). */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** @internal snake_case -> camelCase (max_value -> maxValue). */
export function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** @internal Where an error happened: "<context>: <ClassName> ...". */
export interface Where {
  readonly context: string;
  readonly className: string;
}

/** @internal Prefix for error messages. */
export function prefix(w: Where): string {
  return w.context === w.className || w.context === '' ? w.className : `${w.context}: ${w.className}`;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/**
 * @internal Validates a config object's keys and returns it keyed by the
 * canonical camelCase names. Accepts snake_case and camelCase spellings of
 * each key (plus explicit `aliases`); rejects unknown keys and a key given
 * twice under two spellings. `undefined` values are treated as absent.
 */
export function readConfig(
  config: unknown,
  where: Where,
  keys: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  if (config === undefined || config === null) return {};
  if (!isPlainObject(config)) {
    throw new ValueError(`${prefix(where)} config must be an object, received ${describeValue(config)}.`);
  }
  const out: Record<string, unknown> = {};
  const seen = new Map<string, string>();
  for (const key of Object.keys(config)) {
    const value = config[key];
    if (value === undefined) continue;
    const canonical = (Object.prototype.hasOwnProperty.call(aliases, key) ? aliases[key] : undefined) ?? snakeToCamel(key);
    if (!keys.includes(canonical)) {
      const expected =
        keys.length === 0
          ? 'it takes no config keys'
          : `expected one of ${keys.map((k) => `'${k}'`).join(', ')} (camelCase or snake_case)`;
      throw new ValueError(`${prefix(where)} config has unknown key '${key}': ${expected}; received ${describeValue(value)}.`);
    }
    if (seen.has(canonical)) {
      throw new ValueError(
        `${prefix(where)} config gives '${canonical}' twice (as '${seen.get(canonical)}' and '${key}'); pass it once.`,
      );
    }
    seen.set(canonical, key);
    out[canonical] = value;
  }
  return out;
}

/** @internal Options for numberArg. */
export interface NumberRule {
  /** inclusive lower bound unless `minExclusive` */
  min?: number;
  minExclusive?: boolean;
  /** inclusive upper bound */
  max?: number;
  integer?: boolean;
}

function ruleText(rule: NumberRule): string {
  const kind = rule.integer ? 'integer' : 'finite number';
  if (rule.min === 0 && rule.max === undefined) return rule.minExclusive ? `a positive ${kind}` : `a non-negative ${kind}`;
  if (rule.min !== undefined && rule.max !== undefined) {
    return `a ${kind} in ${rule.minExclusive ? '(' : '['}${rule.min}, ${rule.max}]`;
  }
  if (rule.min !== undefined) return `a ${kind} ${rule.minExclusive ? '>' : '>='} ${rule.min}`;
  if (rule.max !== undefined) return `a ${kind} <= ${rule.max}`;
  return rule.integer ? 'an integer' : 'a finite number';
}

/**
 * @internal Reads a numeric config value (canonical key) with a default for
 * undefined/null; throws naming context, key, expectation and received value.
 */
export function numberArg(
  cfg: Record<string, unknown>,
  key: string,
  def: number,
  where: Where,
  rule: NumberRule = {},
): number {
  const v = cfg[key];
  if (v === undefined || v === null) return def;
  const bad =
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    (rule.integer === true && !Number.isInteger(v)) ||
    (rule.min !== undefined && (rule.minExclusive ? !(v > rule.min) : !(v >= rule.min))) ||
    (rule.max !== undefined && !(v <= rule.max));
  if (bad) {
    throw new ValueError(
      `${prefix(where)} config key '${key}' expected ${ruleText(rule)}, received ${describeValue(v)}.`,
    );
  }
  return v;
}

/**
 * @internal Reads a string enum value; `normalize` maps accepted spellings
 * (e.g. 'fanIn') to the canonical Keras value ('fan_in').
 */
export function enumArg<T extends string>(
  cfg: Record<string, unknown>,
  key: string,
  def: T,
  allowed: readonly T[],
  where: Where,
  normalize: (s: string) => string = (s) => s,
): T {
  const v = cfg[key];
  if (v === undefined || v === null) return def;
  if (typeof v === 'string') {
    const n = normalize(v);
    if ((allowed as readonly string[]).includes(n)) return n as T;
  }
  throw new ValueError(
    `${prefix(where)} config key '${key}' expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, received ${describeValue(v)}.`,
  );
}

/** @internal One class of a registry: every accepted name and a factory. */
export interface RegistryEntry<T> {
  readonly className: string;
  /** Every accepted string (case-sensitive, as in Keras). The first is shown in error messages. */
  readonly names: readonly string[];
  create(config: unknown, context: string): T;
}

/** @internal [snake_case, ClassName, camelCase, ...extra] for a Keras class name. */
export function kerasNames(className: string, ...extra: string[]): string[] {
  const snake = toSnakeCase(className);
  return [...new Set([snake, className, snakeToCamel(snake), ...extra])];
}

const IDENTIFIER_KEYS = ['className', 'class_name', 'config', 'module', 'registered_name', 'registeredName'];

/**
 * @internal Resolves a string / {className, config} / instance identifier
 * against a registry. `kind` is 'initializer', 'regularizer' or 'constraint'.
 */
export function resolveIdentifier<T>(
  kind: string,
  registry: readonly RegistryEntry<T>[],
  id: unknown,
  context: string,
  isInstance: (x: unknown) => x is T,
): T {
  const lookup = (name: string): RegistryEntry<T> => {
    for (const e of registry) if (e.names.includes(name)) return e;
    const valid = [...new Set(registry.map((e) => e.names[0]))].map((n) => `'${n}'`).join(', ');
    throw new ValueError(
      `${context}: unknown ${kind} ${describeValue(name)}. Valid names: ${valid} ` +
        `(Keras class names such as '${registry[0].className}' and camelCase spellings are accepted too).`,
    );
  };
  if (typeof id === 'string') return lookup(id).create(undefined, context);
  if (isInstance(id)) return id;
  if (isPlainObject(id)) {
    for (const k of Object.keys(id)) {
      if (!IDENTIFIER_KEYS.includes(k)) {
        throw new ValueError(
          `${context}: ${kind} object has unknown key '${k}'; expected { className, config } ` +
            `(or a Keras { class_name, config }), received ${describeValue(id)}.`,
        );
      }
    }
    const name = id.className ?? id.class_name;
    if (typeof name !== 'string') {
      throw new ValueError(
        `${context}: ${kind} object needs a string 'className', received ${describeValue(name)} in ${describeValue(id)}.`,
      );
    }
    return lookup(name).create(id.config, context);
  }
  const a = /^[aeiou]/.test(kind) ? 'an' : 'a';
  throw new ValueError(
    `${context}: expected ${a} ${kind} name (e.g. '${registry[0].names[0]}'), a { className, config } object ` +
      `or ${a} ${kind} instance, received ${describeValue(id)}.`,
  );
}

/** @internal Validates a tensor shape; returns its element count. */
export function checkShape(shape: unknown, where: Where): number {
  let ok = Array.isArray(shape);
  let size = 1;
  if (ok) {
    for (const d of shape as unknown[]) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        ok = false;
        break;
      }
      size *= d;
    }
  }
  if (!ok || !Number.isSafeInteger(size)) {
    throw new ValueError(
      `${prefix(where)}: expected shape to be an array of non-negative integers, received ${describeValue(shape)}.`,
    );
  }
  return size;
}
