/**
 * A configuration layer — the file, the environment or the command line — validated against the
 * declaration (schema.ts) into the values it sets, key by key; and the merge of layers into the
 * `Config` every command receives.
 *
 * Every problem of a layer is reported at once (one CONFIG_INVALID listing them), so fixing a file
 * is one edit, not one edit per run.
 */
import { SharebridgeError } from "../errors.js";
import { closestName } from "../util/did-you-mean.js";
import { countOf } from "../util/plural.js";
import { describeJson, KeyProblem } from "./kinds.js";
import { type Config, DECLARED_KEYS, declaredKey, REFUSED_KEYS } from "./schema.js";

/** The values a layer sets, by dotted path (`share.region`), validated. */
export type Layer = ReadonlyMap<string, unknown>;

/** A problem with one key. */
export interface ConfigProblem {
  /** Dotted path, or "(configuration)" for the document itself. */
  readonly key: string;
  readonly message: string;
  readonly fix: string;
}

/** One CONFIG_INVALID naming every problem; `origin` ("environment", a file path) goes in front. */
export function problemsError(problems: readonly ConfigProblem[], origin?: string): SharebridgeError {
  const [first] = problems;
  const where = origin === undefined ? "" : `${origin}: `;
  const one = (p: ConfigProblem) => `${p.key}: ${p.message}; ${p.fix}`;
  const message =
    problems.length === 1 && first !== undefined
      ? `${where}${one(first)}`
      : `${where}${countOf(problems.length, "problem")}:\n${problems.map((p) => `  - ${one(p)}`).join("\n")}`;
  return new SharebridgeError("CONFIG_INVALID", message, {
    key: first?.key,
    fix: first?.fix,
    problems: problems.map((p) => p.key),
  });
}

/** Sets `a.b.c` in a nested document, creating the sections on the way. */
export function setPath(document: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let target = document;
  for (const part of parts.slice(0, -1)) {
    target[part] ??= {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts.at(-1) as string] = value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The names known at a level of the tree (keys, sections, aliases), for did-you-mean. */
function namesUnder(prefix: string): string[] {
  const names = new Set<string>();
  for (const { path, spec } of DECLARED_KEYS) {
    if (!path.startsWith(prefix)) continue;
    names.add(path.slice(prefix.length).split(".")[0] as string);
    for (const alias of spec.aliases ?? []) if (path.startsWith(prefix)) names.add(alias);
  }
  return [...names];
}

function isSection(path: string): boolean {
  return DECLARED_KEYS.some((key) => key.path.startsWith(`${path}.`));
}

/**
 * Validates a document (the file's JSON, or the environment and flags arranged as one) into a layer.
 * Throws one CONFIG_INVALID naming every problem, prefixed with `origin`.
 */
export function parseDocument(document: unknown, origin?: string): Map<string, unknown> {
  const values = new Map<string, unknown>();
  const problems: ConfigProblem[] = [];
  const walk = (object: Record<string, unknown>, prefix: string) => {
    const known = namesUnder(prefix);
    for (const [name, value] of Object.entries(object)) {
      const path = `${prefix}${name}`;
      const refused = REFUSED_KEYS[path];
      if (refused !== undefined) {
        problems.push({ key: path, ...refused });
        continue;
      }
      const alias = DECLARED_KEYS.find(
        (key) => key.path.startsWith(prefix) && key.spec.aliases?.includes(name) === true,
      );
      const key = declaredKey(path) ?? alias;
      if (key !== undefined) {
        if (alias !== undefined && Object.hasOwn(object, key.path.slice(prefix.length))) {
          problems.push({
            key: path,
            message: `is the former name of ${key.path}, which is also given`,
            fix: `keep only ${key.path}`,
          });
          continue;
        }
        const parsed = key.spec.parse(value);
        if (parsed instanceof KeyProblem)
          problems.push({ key: key.path, message: parsed.message, fix: parsed.fix });
        else values.set(key.path, parsed);
        continue;
      }
      if (isSection(path)) {
        if (isObject(value)) walk(value, `${path}.`);
        else
          problems.push({
            key: path,
            message: `must be an object, got ${describeJson(value)}`,
            fix: "write it as { … }",
          });
        continue;
      }
      const near = closestName(name, known);
      problems.push({
        key: path,
        message: "unknown key",
        fix:
          near === undefined
            ? `known keys: ${known.map((k) => prefix + k).join(", ")}`
            : `did you mean "${prefix}${near}"?`,
      });
    }
  };
  if (!isObject(document)) {
    problems.push({
      key: "(configuration)",
      message: `must be an object, got ${describeJson(document)}`,
      fix: "write it as { … }",
    });
  } else {
    walk(document, "");
  }
  for (const { path, spec } of DECLARED_KEYS) {
    for (const other of spec.excludes ?? []) {
      if (values.has(path) && values.has(other) && path < other) {
        problems.push({
          key: path,
          message: `excludes ${other}, which is also given`,
          fix: `keep exactly one of ${path} and ${other}`,
        });
      }
    }
  }
  if (problems.length > 0) throw problemsError(problems, origin);
  return values;
}

/**
 * Text values by key path (from the environment or flags) → a document for `parseDocument`: each
 * text is read as its key's kind reads text, then validated like a file value.
 */
export function documentFromTexts(texts: ReadonlyMap<string, string>): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  for (const [path, text] of texts) {
    const spec = declaredKey(path)?.spec;
    if (spec === undefined) continue;
    setPath(document, path, spec.fromText(text));
  }
  return document;
}

/** Layers merged lowest first; a later layer wins key by key, and clears the keys its keys exclude. */
export function mergeLayers(layers: readonly Layer[]): Map<string, unknown> {
  const merged = new Map<string, unknown>();
  for (const layer of layers) {
    for (const [path, value] of layer) {
      for (const other of declaredKey(path)?.spec.excludes ?? []) merged.delete(other);
      merged.set(path, value);
    }
  }
  return merged;
}

/** The configuration: the merged values over the declared defaults, frozen. */
export function buildConfig(values: Layer, env: Readonly<Record<string, string | undefined>>): Config {
  const root: Record<string, unknown> = {};
  for (const { path, spec } of DECLARED_KEYS) {
    const value = values.has(path) ? values.get(path) : (spec.defaultFrom?.(env) ?? spec.default);
    setPath(root, path, value);
  }
  return deepFreeze(root) as Config;
}

function deepFreeze<T>(value: T): T {
  if (isObject(value)) for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
