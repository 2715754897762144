/**
 * The README's configuration table and config/sharebridge.example.json are generated from the
 * declaration (src/config/schema.ts): these fail while either is out of date (`npm run docs:config`).
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  configReference,
  exampleConfig,
  README_BEGIN,
  README_END,
  withConfigReference,
} from "../../src/config/docs.js";
import { configFromDocument, loadConfig } from "../../src/config/load.js";
import { DECLARED_KEYS } from "../../src/config/schema.js";

const readme = () => readFile(new URL("../../README.md", import.meta.url), "utf8");
const EXAMPLE = new URL("../../config/sharebridge.example.json", import.meta.url);

describe("configuration documentation", () => {
  it("the README's table is the one the declaration generates", async () => {
    const text = await readme();
    expect(withConfigReference(text)).toBe(text);
    const section = text.slice(text.indexOf(README_BEGIN) + README_BEGIN.length, text.indexOf(README_END));
    expect(section).toBe(`\n${configReference()}\n`);
    for (const { path, spec } of DECLARED_KEYS) {
      expect(section).toContain(`| \`${path}\` |`);
      expect(section).toContain(`\`${spec.env}\``);
    }
  });

  it("config/sharebridge.example.json is the one the declaration generates, and loads", async () => {
    expect(await readFile(EXAMPLE, "utf8")).toBe(exampleConfig());
    const { config } = await loadConfig({ configPath: EXAMPLE.pathname, env: {} });
    expect(config).toEqual(
      configFromDocument({
        stateDir: "/var/lib/sharebridge",
        share: { region: "us", username: "your-dexcom-account" },
      }),
    );
  });

  it("declares each environment variable and flag once", () => {
    const envs = DECLARED_KEYS.map((k) => k.spec.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const env of envs) expect(env).toMatch(/^SHAREBRIDGE_[A-Z_]+$/);
    const flags = DECLARED_KEYS.flatMap((k) => (k.spec.flag === undefined ? [] : [k.spec.flag.name]));
    expect(new Set(flags).size).toBe(flags.length);
  });

  it("every default is a valid value of its key", () => {
    for (const { path, spec } of DECLARED_KEYS) {
      if (spec.default === undefined) continue;
      expect([path, spec.parse(spec.toJson(spec.default as never))]).toEqual([path, spec.default]);
    }
  });
});
