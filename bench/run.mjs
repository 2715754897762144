// Benchmark runner for `npm run bench`: imports every bench/*.bench.mjs (sorted by name, or only
// those whose name contains one of the command-line arguments) and awaits its exported
// `run(print)`, where `print(line)` writes one line of figures. Benchmarks import the built code
// from dist/ and print figures, not verdicts; comparisons are measured side by side in one run.
import { readdir } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

const folder = fileURLToPath(new URL(".", import.meta.url));
const filters = process.argv.slice(2);
const files = (await readdir(folder))
  .filter((name) => name.endsWith(".bench.mjs"))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();

console.log(`node ${process.version} on ${process.platform}/${process.arch}`);
for (const name of files) {
  console.log(`\n## ${name.replace(/\.bench\.mjs$/, "")}`);
  const module = await import(pathToFileURL(`${folder}${name}`).href);
  await module.run((line) => console.log(line));
}
