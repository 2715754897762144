#!/usr/bin/env node
// Rewrites the README's configuration table and config/sharebridge.example.json from the
// declaration of the keys (src/config/schema.ts, built into dist/). `npm run docs:config`.
import { readFile, writeFile } from "node:fs/promises";
import { exampleConfig, withConfigReference } from "../dist/config/docs.js";

const readme = new URL("../README.md", import.meta.url);
const example = new URL("../config/sharebridge.example.json", import.meta.url);
const before = await readFile(readme, "utf8");
const after = withConfigReference(before);
if (after !== before) await writeFile(readme, after);
const exampleBefore = await readFile(example, "utf8");
const exampleAfter = exampleConfig();
if (exampleAfter !== exampleBefore) await writeFile(example, exampleAfter);
console.log(
  `README.md ${after === before ? "unchanged" : "updated"}; config/sharebridge.example.json ${exampleAfter === exampleBefore ? "unchanged" : "updated"}`,
);
