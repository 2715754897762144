// Memory of the daemon, two ways:
//
// 1. The daemon as shipped — `sharebridge run` (dist/main.js) in its own process, with the node flags
//    of the systemd unit and the image, the receiver on a real pseudo-terminal through serialport —
//    after 1,000 cycles on real time (a reading every second, about 17 minutes), its resident memory
//    (VmRSS) side by side with the same daemon without those flags, both in the same run.
// 2. Growth over many cycles: 1,000 and more accelerated cycles (fake clock, in-process receiver
//    emulator, Share emulator on loopback HTTP) in a fresh process (bench/memory-child.mjs, with
//    --expose-gc so that every sample follows a full GC). Both emulators live in that process too;
//    their share is part of the figure, so it tells growth, not the daemon's own size.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  DAEMON_NODE_FLAGS,
  freePort,
  MAIN,
  PASSWORD,
  scrape,
  shareProcess,
  sleep,
  startCli,
  sumOf,
  USER,
} from "./processes.mjs";

const CYCLES = 1000;

/** `sharebridge run` on a pty until it completed CYCLES cycles; its VmRSS then, MiB. */
async function daemonAfterCycles(nodeFlags) {
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-rss-"));
  const tty = join(dir, "tty");
  const receiver = await startCli([
    "emulate",
    "receiver",
    "--pty",
    tty,
    "--profile",
    "g4",
    "--seed",
    "5",
    "--days",
    "1",
    "--live",
    "--interval",
    "1",
  ]);
  const share = await shareProcess();
  const port = await freePort();
  await writeFile(join(dir, "password"), `${PASSWORD}\n`);
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify({
      device: tty,
      stateDir: join(dir, "state"),
      readingIntervalSeconds: 1,
      backfillHours: 1,
      clock: { assumeSynchronized: true },
      share: { server: share.url, username: USER, passwordFile: join(dir, "password") },
      http: { listen: `127.0.0.1:${port}` },
      log: { level: "warn" },
    }),
  );
  const daemon = spawn(process.execPath, [...nodeFlags, MAIN, "run", "--config", join(dir, "config.json")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    let cycles = 0;
    while (cycles < CYCLES) {
      await sleep(5000);
      cycles = sumOf(await scrape(port).catch(() => ({})), "sharebridge_cycles_total");
    }
    const status = await readFile(`/proc/${daemon.pid}/status`, "utf8");
    const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { cycles, rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
  } finally {
    daemon.kill("SIGTERM");
    await new Promise((resolve) => daemon.once("exit", resolve));
    await share.stop();
    await receiver.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const runFile = promisify(execFile);
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function measure(...args) {
  const child = new URL("./memory-child.mjs", import.meta.url).pathname;
  const { stdout } = await runFile(process.execPath, ["--expose-gc", child, ...args], { timeout: 600_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

export async function run(print) {
  const [shipped, bare] = await Promise.all([daemonAfterCycles(DAEMON_NODE_FLAGS), daemonAfterCycles([])]);
  print(`sharebridge run, its own process, receiver on a pty (serialport), after ${CYCLES} cycles:`);
  print(
    `  as shipped (node ${DAEMON_NODE_FLAGS.join(" ")}): VmRSS ${shipped.rssMiB.toFixed(1)} MiB, peak ${shipped.peakMiB.toFixed(1)} MiB (${shipped.cycles} cycles)`,
  );
  print(
    `  plain node:                            VmRSS ${bare.rssMiB.toFixed(1)} MiB, peak ${bare.peakMiB.toFixed(1)} MiB (${bare.cycles} cycles)`,
  );
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
