// Several receivers on one host (issue 14): resident memory and CPU of three `sharebridge run`
// daemons next to one, and of one daemon with MQTT next to one without — all measured in the same
// window of one run, side by side. Every daemon has its own receiver emulator (a separate process on
// TCP, realistic reply delays, a new reading every 5 s) and its own account on one Share emulator
// process; the MQTT daemon publishes to a mosquitto on loopback (the row is left out without one).
//
// Each daemon first catches up (a day of backfill), then it is measured for WINDOW_SECONDS: CPU
// (utime + stime from /proc/PID/stat); resident memory (VmRSS) and its proportional share (Pss:
// what the daemons share, such as node's own code, split between them), the median of a sample
// every 5 s; and the peak (VmHWM, reached during the catch-up).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DAEMON_NODE_FLAGS, MAIN, median, receiverProcess, sleep, startCli } from "./processes.mjs";

const INTERVAL_SECONDS = 5;
const WINDOW_SECONDS = 60;
const MOSQUITTO = "/usr/sbin/mosquitto";
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

/** VmRSS and VmHWM, and the proportional share (Pss: pages shared with the other daemons split). */
async function memory(pid) {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  const kib = (text, name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? Number.NaN);
  return { rssKiB: kib(status, "VmRSS"), peakKiB: kib(status, "VmHWM"), pssKiB: kib(rollup, "Pss") };
}

async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at ") ": utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", resolve);
    child.kill("SIGTERM");
  });
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startMosquitto(dir) {
  const port = await freePort();
  const config = join(dir, "mosquitto.conf");
  await writeFile(
    config,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser ${process.env.USER ?? "root"}\n`,
  );
  const child = spawn(MOSQUITTO, ["-c", config], { stdio: "ignore" });
  await sleep(500);
  return { port, stop: () => stopChild(child) };
}

/** The daemon's state file says it caught up: its last cycle left nothing waiting. */
async function caughtUp(stateDir) {
  try {
    const state = JSON.parse(await readFile(join(stateDir, "state.json"), "utf8"));
    return state.lastCycle?.backlog === 0 && Object.keys(state.receivers ?? {}).length === 1;
  } catch {
    return false;
  }
}

export async function run(print) {
  const dir = await mkdtemp(join(tmpdir(), "sharebridge-receivers-bench-"));
  const names = ["solo", "trio-a", "trio-b", "trio-c", ...(existsSync(MOSQUITTO) ? ["mqtt"] : [])];
  const stops = [];
  try {
    const share = await startCli([
      "emulate",
      "share",
      "--listen",
      "127.0.0.1:0",
      ...names.flatMap((name) => ["--account", `${name}:pw-${name}`]),
    ]);
    stops.push(share.stop);
    const shareUrl = share.line.split(" ").at(-1);
    const broker = names.includes("mqtt") ? await startMosquitto(dir) : undefined;
    if (broker !== undefined) stops.push(broker.stop);
    const daemons = [];
    for (const [n, name] of names.entries()) {
      const receiver = await receiverProcess([
        "--seed",
        String(300 + n),
        "--days",
        "1",
        "--live",
        "--interval",
        String(INTERVAL_SECONDS),
        "--realistic",
      ]);
      stops.push(receiver.stop);
      const passwordFile = join(dir, `${name}.password`);
      await writeFile(passwordFile, `pw-${name}\n`, { mode: 0o600 });
      const stateDir = join(dir, `state-${name}`);
      const config = join(dir, `${name}.json`);
      await writeFile(
        config,
        JSON.stringify({
          device: `tcp://${receiver.host}:${receiver.port}`,
          stateDir,
          readingIntervalSeconds: INTERVAL_SECONDS,
          backfillHours: 24,
          clock: { assumeSynchronized: true },
          share: { server: shareUrl, username: name, passwordFile },
          log: { level: "warn" },
          ...(name === "mqtt" ? { mqtt: { url: `mqtt://127.0.0.1:${broker.port}` } } : {}),
        }),
      );
      // With the node flags of the systemd units (sharebridge@.service runs one per receiver).
      const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, MAIN, "run", "--config", config], {
        stdio: ["ignore", "ignore", "inherit"],
      });
      stops.push(() => stopChild(child));
      daemons.push({ name, child, stateDir });
    }
    const deadline = performance.now() + 120_000;
    for (const daemon of daemons) {
      while (!(await caughtUp(daemon.stateDir))) {
        if (performance.now() > deadline) throw new Error(`${daemon.name} did not catch up`);
        await sleep(250);
      }
    }
    const before = new Map();
    for (const d of daemons) before.set(d.name, await cpuSeconds(d.child.pid));
    // Resident memory moves with each garbage collection: the median of a sample every 5 s.
    const samples = new Map(daemons.map((d) => [d.name, []]));
    for (let elapsed = 0; elapsed < WINDOW_SECONDS; elapsed += 5) {
      await sleep(5000);
      for (const d of daemons) samples.get(d.name).push(await memory(d.child.pid));
    }
    const figures = new Map();
    for (const d of daemons) {
      const cpu = (await cpuSeconds(d.child.pid)) - before.get(d.name);
      const taken = samples.get(d.name);
      figures.set(d.name, {
        cpu,
        rssKiB: median(taken.map((m) => m.rssKiB)),
        pssKiB: median(taken.map((m) => m.pssKiB)),
        peakKiB: Math.max(...taken.map((m) => m.peakKiB)),
      });
    }

    const perMinute = (cpu) => `${((cpu / WINDOW_SECONDS) * 60).toFixed(2)} CPU s/min`;
    const row = (label, f) =>
      print(
        `  ${label.padEnd(26)} rss ${mib(f.rssKiB).padStart(9)}   pss ${mib(f.pssKiB).padStart(9)}   ` +
          `peak ${mib(f.peakKiB).padStart(9)}   ${perMinute(f.cpu)}`,
      );
    print(
      `sharebridge run, caught up, measured together for ${WINDOW_SECONDS} s (a reading every ${INTERVAL_SECONDS} s, ` +
        "each daemon its own receiver emulator process):",
    );
    row("one daemon", figures.get("solo"));
    const trio = ["trio-a", "trio-b", "trio-c"].map((name) => figures.get(name));
    for (const [i, f] of trio.entries()) row(`three daemons: #${i + 1}`, f);
    row("three daemons: together", {
      rssKiB: trio.reduce((a, f) => a + f.rssKiB, 0),
      peakKiB: trio.reduce((a, f) => a + f.peakKiB, 0),
      pssKiB: trio.reduce((a, f) => a + f.pssKiB, 0),
      cpu: trio.reduce((a, f) => a + f.cpu, 0),
    });
    if (figures.has("mqtt")) row("one daemon with MQTT", figures.get("mqtt"));
    else print("  (no mosquitto at /usr/sbin/mosquitto: the MQTT row is left out)");
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
