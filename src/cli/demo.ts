/**
 * `sharebridge demo`: the real pipeline end to end on a machine with no receiver and no Dexcom
 * account (DESIGN.md §9):
 *
 *   receiver emulator (live, TCP on loopback) ─► sharebridge daemon (real link, decoder, clock model,
 *   state in a temporary directory) ─► Share emulator (loopback HTTP) ─► the Share read call ─► chart
 *
 * It runs the daemon for `--seconds`, reads the posted readings back as a follower's app would, and
 * prints a chart of the last hours and a summary: readings on the receiver, posted, read back, and
 * the lag from a reading being written to Share storing it.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSystem } from "../app/system.js";
import type { Config } from "../config/schema.js";
import { createReceiverEmulator, PROFILE_IDS, type ProfileId } from "../emulator/receiver/index.js";
import { startShareEmulator } from "../emulator/share/index.js";
import { SharebridgeError } from "../errors.js";
import { createLogger } from "../log.js";
import { ShareClient } from "../share/client.js";
import { createShareSettings, INTERACTIVE_RETRY } from "../share/settings.js";
import { countOf } from "../util/plural.js";
import type { Command } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { renderGlucoseChart } from "./glucose-chart.js";
import { integerOption } from "./option-values.js";

const ACCOUNT = "demo";
const PASSWORD = "demo-password";

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const command: Command = {
  usage: `[--seconds S] [--interval S] [--profile ${PROFILE_IDS.join("|")}] [--hours H]

  --seconds S     how long the daemon runs (default 20)
  --interval S    seconds between the emulated receiver's live readings (default 2; a real one: 300)
  --profile P     the emulated receiver (default g5)
  --hours H       hours of history shown in the chart (default 3)`,
  options: {
    seconds: { type: "string" },
    interval: { type: "string" },
    profile: { type: "string" },
    hours: { type: "string" },
  },
  async run(context) {
    const seconds = integerOption(context.values, "seconds", 3, 3600) ?? 20;
    const intervalSeconds = integerOption(context.values, "interval", 1, 300) ?? 2;
    const hours = integerOption(context.values, "hours", 1, 24) ?? 3;
    const profile = (context.values["profile"] ?? "g5") as ProfileId;
    if (!PROFILE_IDS.includes(profile)) {
      throw new SharebridgeError("USAGE", `--profile must be one of ${PROFILE_IDS.join(", ")}`, {
        option: "profile",
      });
    }
    const out = (line: string) => context.stdout.write(`${line}\n`);
    // The demo's own lines tell the story; the daemon only speaks up for warnings.
    const log = createLogger({ level: "warn", destination: context.stderr as never });
    const dir = await mkdtemp(join(tmpdir(), "sharebridge-demo-"));
    const receiver = createReceiverEmulator({ profile, days: 2, live: { intervalSeconds }, log });
    const share = await startShareEmulator({ accounts: [{ name: ACCOUNT, password: PASSWORD }], log });
    const cleanup: (() => Promise<unknown>)[] = [
      () => rm(dir, { recursive: true, force: true }),
      () => receiver.close(),
      () => share.close(),
    ];
    try {
      const listener = await receiver.listenTcp("127.0.0.1", 0);
      const device = `tcp://127.0.0.1:${listener.port}`;
      await writeFile(join(dir, "password"), `${PASSWORD}\n`, { mode: 0o600 });
      out(
        `sharebridge demo: a ${profile} receiver emulator with a new reading every ${intervalSeconds} s (${device}),`,
      );
      out(`the sharebridge daemon, and a Share emulator (${share.url("us")}), all on this machine.`);
      out(`Running the daemon for ${seconds} s…`);

      const config: Config = {
        device,
        stateDir: join(dir, "state"),
        readingIntervalSeconds: intervalSeconds,
        backfillHours: 24,
        // The emulators run on this machine's clock: it is the true time here.
        clock: { mode: "corrected", assumeSynchronized: true },
        share: {
          region: undefined,
          server: share.url("us"),
          username: ACCOUNT,
          passwordFile: join(dir, "password"),
          replaceReceiver: "auto",
        },
        http: { listen: null },
        receiver: {},
        mqtt: { topicPrefix: "sharebridge", discoveryPrefix: "homeassistant" },
        log: { level: "warn" },
      };
      // The emulators run on this machine's clock: it is the true time here.
      const system = await buildSystem(config, {
        log,
        retry: INTERACTIVE_RETRY,
        hostSync: async () => ({
          synchronised: true,
          source: "demo",
          detail: "the emulators share this clock",
        }),
      });
      cleanup.unshift(() => system.close());
      const daemon = system.daemon();

      // Watch Share's storage: when each reading arrives there, for the lag figures.
      const firstSeen = new Map<number, number>();
      let announced = 0;
      const watch = setInterval(() => {
        const now = Date.now();
        for (const egv of share.account(ACCOUNT).egvs)
          if (!firstSeen.has(egv.wtMs)) firstSeen.set(egv.wtMs, now);
        if (firstSeen.size !== announced) {
          out(`  Share now holds ${countOf(firstSeen.size, "reading")}`);
          announced = firstSeen.size;
        }
      }, 50);
      const controller = new AbortController();
      const stopOnSignal = () => controller.abort();
      context.signal.addEventListener("abort", stopOnSignal, { once: true });
      const startedAt = Date.now();
      const timer = setTimeout(() => controller.abort(), seconds * 1000);
      await daemon.run(controller.signal);
      clearTimeout(timer);
      clearInterval(watch);
      context.signal.removeEventListener("abort", stopOnSignal);

      // Read back as a follower's app does.
      const client = new ShareClient({
        settings: createShareSettings({
          server: share.url("us"),
          username: ACCOUNT,
          password: PASSWORD,
          retry: INTERACTIVE_RETRY,
        }),
        log,
      });
      cleanup.unshift(() => client.close());
      const { readings } = await client.readLatestGlucose({ minutes: hours * 60, maxCount: 288 });
      const now = Date.now();
      out("");
      out(`The last ${countOf(hours, "hour")} as a follower sees them (ReadPublisherLatestGlucoseValues):`);
      out(
        renderGlucoseChart(
          readings.map((r) => ({ tMs: r.wtMs, mgdl: r.glucose })),
          {
            fromMs: now - hours * 3_600_000,
            toMs: now,
            width: 64,
            height: 12,
          },
        ).trimEnd(),
      );

      const model = receiver.model.partitions[4]?.records ?? [];
      const onReceiver = model.filter((r) => "glucose" in r && !r.displayOnly && r.special === null).length;
      const posted = share.account(ACCOUNT).egvs.length;
      const live = [...firstSeen.entries()].filter(([wtMs]) => wtMs >= startedAt);
      // A reading's time comes from the receiver's whole-second clock, so it is known to about a
      // second: a lag below zero only means "within that second", and is shown as 0.
      const lags = live.map(([wtMs, seenMs]) => Math.max(0, (seenMs - wtMs) / 1000));
      const snapshot = daemon.snapshot();
      out("");
      out("Summary");
      out(`  readings on the receiver (2 days)      ${onReceiver}`);
      out(`  posted to Share (24 h backfill + live) ${posted}`);
      out(
        `  read back (last ${hours} h)${" ".repeat(Math.max(1, 20 - String(hours).length))}${readings.length}`,
      );
      out(`  live readings during the demo          ${live.length}`);
      out(
        lags.length === 0
          ? "  lag, reading written → stored on Share   (no live reading in this run)"
          : `  lag, reading written → stored on Share median ${median(lags).toFixed(1)} s, max ${Math.max(...lags).toFixed(1)} s (±1 s: the receiver's clock counts whole seconds)`,
      );
      out(
        `  daemon cycles                          ${Object.entries(snapshot.cycles)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ")}`,
      );
      return posted > 0 && readings.length > 0 ? EXIT.OK : EXIT.INTERNAL;
    } finally {
      for (const step of cleanup) await step().catch(() => undefined);
    }
  },
};

export default command;
