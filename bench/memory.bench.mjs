// Resident memory of the daemon after 1,000 accelerated cycles (fake clock, in-process receiver
// emulator, Share emulator on loopback HTTP), and its growth from cycle 100 to cycle 1,000, measured
// in a fresh process (bench/memory-child.mjs, with --expose-gc so that every sample follows a full
// GC). Both emulators live in that process too; their share is part of the figure.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run_ = promisify(execFile);
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function measure(...args) {
  const child = new URL("./memory-child.mjs", import.meta.url).pathname;
  const { stdout } = await run_(process.execPath, ["--expose-gc", child, ...args], { timeout: 600_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

export async function run(print) {
  const result = await measure();
  const at100 = result.samples[100];
  const at1000 = result.samples[1000];
  const at2000 = result.samples[2000];
  print(
    `daemon, accelerated cycles (${at1000.posted} of the first 1,000 posted a reading; ` +
      `${(result.wallMs / 1000).toFixed(1)} s for 2,000):`,
  );
  const row = (label, m) =>
    print(
      `  ${label.padEnd(12)} rss ${mib(m.rss).padStart(9)}   heap used ${mib(m.heapUsed).padStart(8)}   ` +
        `heap total ${mib(m.heapTotal).padStart(8)}`,
    );
  row("at start", result.before);
  row("cycle 100", at100);
  row("cycle 1,000", at1000);
  row("cycle 2,000", at2000);
  print(
    `  growth from cycle 100 to 1,000: rss ${mib(at1000.rss - at100.rss)}, heap used ` +
      `${mib(at1000.heapUsed - at100.heapUsed)}; from 1,000 to 2,000: rss ${mib(at2000.rss - at1000.rss)}, ` +
      `heap used ${mib(at2000.heapUsed - at1000.heapUsed)} (the emulators' stores grow by a reading a cycle)`,
  );
  const bounded = await measure("bounded");
  const b = (n) => bounded.samples[n];
  print(
    `  with the emulators' stores bounded: heap used at cycle 100 ${mib(b(100).heapUsed)}, 1,000 ` +
      `${mib(b(1000).heapUsed)}, 4,000 ${mib(b(4000).heapUsed)}, 8,000 ${mib(b(8000).heapUsed)}; ` +
      `rss at 8,000 ${mib(b(8000).rss)}`,
  );
}
