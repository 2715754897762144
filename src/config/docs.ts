/**
 * The configuration's documentation, generated from the declaration (schema.ts): the README's
 * table of keys (between two markers) and config/sharebridge.example.json. `npm run docs:config`
 * writes both; test/config/docs.test.ts fails while either differs from what this generates.
 */
import { SharebridgeError } from "../errors.js";
import { setPath } from "./layers.js";
import { DECLARED_KEYS, type DeclaredKey } from "./schema.js";

export const README_BEGIN =
  "<!-- config-keys:begin: generated from src/config/schema.ts by `npm run docs:config`; edit there -->";
export const README_END = "<!-- config-keys:end -->";

/** A table cell: pipes escaped, so `a|b` stays in its cell. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function defaultCell({ spec }: DeclaredKey): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.default === undefined) return "—";
  return `\`${JSON.stringify(spec.toJson(spec.default as never))}\``.replace(/^`"(.*)"`$/, "`$1`");
}

function flagCell({ spec }: DeclaredKey): string {
  return spec.flag === undefined ? "—" : `\`--${spec.flag.name} ${spec.flag.value}\``;
}

/** The README's table of keys, and the flags that set them. */
export function configReference(): string {
  const rows = DECLARED_KEYS.map((key) => {
    const meaning = key.spec.details === undefined ? key.spec.help : `${key.spec.help} ${key.spec.details}`;
    return `| \`${key.path}\` | ${cell(defaultCell(key))} | ${cell(key.spec.typeText)} | \`${key.spec.env}\` | ${cell(flagCell(key))} | ${cell(meaning)} |`;
  });
  const flagged = DECLARED_KEYS.filter((key) => key.spec.flag !== undefined && key.spec.flag.global !== true);
  const global = DECLARED_KEYS.filter((key) => key.spec.flag?.global === true);
  return [
    "| Key | Default | Value | Environment | Flag | Meaning |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    `\`run\`, \`sync\`, \`status\` and \`doctor\` take the flags ${flagged.map((k) => `\`--${k.spec.flag?.name}\``).join(", ")}; the \`share\` commands take those of the \`share.*\` keys and \`--state-dir\`. Every command takes ${global.map((k) => `\`--${k.spec.flag?.name}\``).join(", ")} and \`--config FILE\`.`,
  ].join("\n");
}

/** The README with its configuration section replaced by `configReference()`. */
export function withConfigReference(readme: string): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin === -1 || end < begin) {
    throw new SharebridgeError("INTERNAL", "README.md lacks the config-keys markers", {
      begin: README_BEGIN,
    });
  }
  return `${readme.slice(0, begin + README_BEGIN.length)}\n${configReference()}\n${readme.slice(end)}`;
}

/** config/sharebridge.example.json: every key that has a default or an example, in declaration order. */
export function exampleConfig(): string {
  const root: Record<string, unknown> = {};
  for (const { path, spec } of DECLARED_KEYS) {
    const value = "example" in spec ? spec.example : spec.default;
    if (value === undefined) continue;
    setPath(root, path, "example" in spec ? value : spec.toJson(value as never));
  }
  return `${JSON.stringify(root, null, 2)}\n`;
}
