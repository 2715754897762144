// The sync engine over the real receiver link and Share client (DESIGN.md §7, §10), with the
// receiver emulator replying with the delays measured from the vendor capture (--realistic) and
// both emulators in their own processes (so CPU time here is the uploader's alone):
//
// - a 30-day first sync (backfill of the whole history, 720 h) from connection to the last
//   acknowledged post, reading 4 pages per request side by side with 1 page per request, with Share
//   answering after 150 ms (±30 ms) per request as the real service might: reading and posting
//   overlap, so the wall time is set by the slower side (receiver-bound: the link time; Share-bound:
//   the time spent waiting for Share's answers), not their sum;
// - the same 30-day backfill over a link that drops the connection every 20 requests;
// - steady-state cycles against a live receiver with a new reading every second: a cycle that posts
//   the one new reading, and a cycle that finds nothing new (medians of 20 and 10 cycles).
import { daemonUntilPosted, median, receiverProcess, shareProcess, sleep, syncBench } from "./processes.mjs";

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** Share's answer time per request in these benchmarks, ms, and its spread. */
const SHARE_LATENCY = "150:30";

async function firstSync(receiver, pagesPerRequest) {
  const share = await shareProcess(["--latency", SHARE_LATENCY]);
  const bench = await syncBench({
    receiver,
    shareUrl: share.url,
    pagesPerRequest,
    backfillHours: 720,
    readingIntervalSeconds: 300,
  });
  try {
    const cycle = await bench.cycle();
    const totals = bench.totals();
    return {
      posted: cycle.report.posted,
      pages: cycle.report.pagesRead,
      roundTrips: totals.roundTrips,
      bytesOut: totals.bytesOut,
      bytesIn: totals.bytesIn,
      linkMs: totals.linkMs,
      shareMs: totals.shareMs,
      httpRequests: totals.httpRequests,
      wallMs: bench.connectMs + cycle.wallMs,
      cpuMs: cycle.cpuMs,
    };
  } finally {
    await bench.close();
    await share.stop();
  }
}

/** The 30-day backfill through the real daemon over a link that drops the connection every 20 requests. */
async function droppingLink(print) {
  const receiver = await receiverProcess([
    "--profile",
    "g4",
    "--seed",
    "3",
    "--days",
    "30",
    "--realistic",
    "--faults",
    "unplug-every=20",
  ]);
  try {
    const run = await daemonUntilPosted({
      device: `tcp://${receiver.host}:${receiver.port}`,
      latency: SHARE_LATENCY,
      backfillHours: 720,
      expected: 8448,
      timeoutMs: 600_000,
    });
    print(
      `30-day backfill over a link that drops the connection every 20 requests (sharebridge run): ` +
        `${run.posted} readings on Share in ${s(run.wallMs)}, ${run.cycles} cycle(s) completed by then (posting goes on within a cycle), ${run.reopens} reconnection(s)`,
    );
  } finally {
    await receiver.stop();
  }
}

async function steadyState(print) {
  const intervalSeconds = 1;
  const receiver = await receiverProcess([
    "--profile",
    "g4",
    "--seed",
    "5",
    "--days",
    "1",
    "--realistic",
    "--live",
    "--interval",
    String(intervalSeconds),
  ]);
  const share = await shareProcess();
  const bench = await syncBench({
    receiver,
    shareUrl: share.url,
    pagesPerRequest: 4,
    backfillHours: 24,
    readingIntervalSeconds: intervalSeconds,
  });
  const posting = [];
  const idle = [];
  try {
    let last = await bench.cycle();
    for (let i = 0; posting.length < 20 && i < 40; i++) {
      // Just after the next reading is due, as the daemon wakes.
      const dueAt = (last.report.lastReading?.utcMs ?? Date.now()) + intervalSeconds * 1000 + 300;
      await sleep(Math.max(0, dueAt - Date.now()));
      last = await bench.cycle();
      if (last.report.posted === 1) posting.push(last);
      if (idle.length < 10) {
        const nothing = await bench.cycle();
        if (nothing.report.outcome === "nothing-new") idle.push(nothing);
      }
    }
  } finally {
    await bench.close();
    await share.stop();
    await receiver.stop();
  }
  const row = (label, cycles) => {
    const m = (key) => median(cycles.map((c) => c[key]));
    print(
      `  ${label.padEnd(22)} ${String(m("roundTrips")).padStart(4)} round trips ` +
        `(${m("bytesOut")} B out, ${m("bytesIn")} B in, link ${m("linkMs").toFixed(0)} ms), ` +
        `${m("httpRequests")} HTTP request(s), CPU ${m("cpuMs").toFixed(1)} ms, wall ${m("wallMs").toFixed(0)} ms`,
    );
  };
  print(`steady-state cycles (medians; live receiver, realistic latency):`);
  row(`one new reading (n=${posting.length})`, posting);
  row(`nothing new (n=${idle.length})`, idle);
}

export async function run(print) {
  const receiver = await receiverProcess(["--profile", "g4", "--seed", "3", "--days", "30", "--realistic"]);
  let four;
  let one;
  try {
    four = await firstSync(receiver, 4);
    one = await firstSync(receiver, 1);
  } finally {
    await receiver.stop();
  }
  print(
    `30-day first sync, g4 receiver with realistic latency, Share answering in ${SHARE_LATENCY.replace(":", " ± ")} ms ` +
      `(${four.posted} readings, ${four.pages} pages):`,
  );
  print(`                              4 pages/request   1 page/request`);
  const line = (label, a, b) => print(`  ${label.padEnd(26)}  ${a.padStart(15)}  ${b.padStart(15)}`);
  line("receiver round trips", String(four.roundTrips), String(one.roundTrips));
  line("bytes host → receiver", kb(four.bytesOut), kb(one.bytesOut));
  line("bytes receiver → host", kb(four.bytesIn), kb(one.bytesIn));
  line("receiver-bound (link time)", s(four.linkMs), s(one.linkMs));
  line("Share-bound (Share time)", s(four.shareMs), s(one.shareMs));
  line("wall time", s(four.wallMs), s(one.wallMs));
  const ratio = (r) => `${(r.wallMs / Math.max(r.linkMs, r.shareMs)).toFixed(3)} ×`;
  line("wall / max(bounds)", ratio(four), ratio(one));
  line(
    "wall / (sum of bounds)",
    `${(four.wallMs / (four.linkMs + four.shareMs)).toFixed(3)} ×`,
    `${(one.wallMs / (one.linkMs + one.shareMs)).toFixed(3)} ×`,
  );
  line("HTTP requests", String(four.httpRequests), String(one.httpRequests));
  line("CPU (cycle)", s(four.cpuMs), s(one.cpuMs));
  await droppingLink(print);
  await steadyState(print);
}
