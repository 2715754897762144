/**
 * `sharebridge emulate receiver`: runs the receiver emulator (DESIGN.md §9) until SIGINT/SIGTERM.
 *
 * Prints one line per endpoint on stdout, for scripts: `listening tcp://HOST:PORT` and/or `pty PATH`.
 */

import { parseErrorPolicySpec } from "../emulator/receiver/error-policy.js";
import { parseFaultSpec } from "../emulator/receiver/faults.js";
import { createReceiverEmulator, type ProfileId } from "../emulator/receiver/index.js";
import { MAX_PAGES_PER_REPLY } from "../emulator/receiver/options.js";
import { PROFILE_IDS } from "../emulator/receiver/profiles.js";
import { readReplayFile } from "../emulator/receiver/replay.js";
import { isReceiverSerial } from "../records/serial.js";
import { parseHostPort } from "../util/host-port.js";
import type { Command, CommandContext } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { decimalOption, integerOption, stringOption, usage } from "./option-values.js";

/** HOST:PORT, with IPv6 hosts in brackets ([::1]:7777). */
export function parseListenAddress(text: string): { host: string; port: number } {
  return (
    parseHostPort(text) ??
    usage(`--listen must be HOST:PORT (e.g. 127.0.0.1:7777), got "${text.slice(0, 80)}"`, "listen")
  );
}

const command: Command = {
  usage: `(--listen HOST:PORT | --pty PATH) [options]

  --listen HOST:PORT        serve raw TCP (port 0 picks one; the chosen port is printed)
  --pty PATH                serve a pseudo-terminal at PATH (needs socat); open it like /dev/ttyACM0
  --profile NAME            ${PROFILE_IDS.join("|")} (default g4)
  --seed N                  database seed: same seed, same bytes (default 1)
  --days N                  days of history (default 30, at most 365)
  --live                    keep adding readings while running
  --interval S              seconds between live readings (default 300)
  --realistic               reply delays of a real receiver (12–220 ms)
  --faults SPEC             crc=P,nak=P,error=P,silence=P,short=P,garbage=P,split=P,unplug-after=N,unplug-every=N
  --pages-per-request N     largest ReadDatabasePages count accepted (default 4)
  --serial SN               receiver serial number (default derived from the seed)
  --max-pages N             storage wrap: keep at most N pages per partition
  --charger-width 1|4       ReadChargerCurrentSetting payload bytes (default 1)
  --policy SPEC             switch error replies, e.g. bad-crc=silence,page-out-of-range=ff-fill
  --replay FILE             start from real pages, as "receiver dump --format hex" prints them; the
                            history (--days, --live) continues after them
  --salt                    salt the readings: trends 8 and 9, LOW and HIGH values, special codes,
                            one display time beyond 2100`,
  options: {
    listen: { type: "string" },
    pty: { type: "string" },
    profile: { type: "string" },
    seed: { type: "string" },
    days: { type: "string" },
    live: { type: "boolean" },
    interval: { type: "string" },
    realistic: { type: "boolean" },
    faults: { type: "string" },
    "pages-per-request": { type: "string" },
    serial: { type: "string" },
    "max-pages": { type: "string" },
    "charger-width": { type: "string" },
    policy: { type: "string" },
    replay: { type: "string" },
    salt: { type: "boolean" },
  },
  async run(ctx: CommandContext): Promise<number> {
    const { values } = ctx;
    const listenText = stringOption(values, "listen");
    const ptyPath = stringOption(values, "pty");
    if (listenText === undefined && ptyPath === undefined)
      usage("give --listen HOST:PORT or --pty PATH", "listen");
    const listen = listenText === undefined ? undefined : parseListenAddress(listenText);
    const profile = stringOption(values, "profile") ?? "g4";
    if (!(PROFILE_IDS as readonly string[]).includes(profile)) {
      usage(`--profile must be one of ${PROFILE_IDS.join(", ")}, got "${profile}"`, "profile");
    }
    const interval = decimalOption(values, "interval", 0.1, 86_400);
    if (interval !== undefined && values["live"] !== true) usage("--interval needs --live", "interval");
    const width = integerOption(values, "charger-width", 1, 4);
    if (width !== undefined && width !== 1 && width !== 4)
      usage("--charger-width must be 1 or 4", "charger-width");
    const faultsText = stringOption(values, "faults");
    const policyText = stringOption(values, "policy");
    const serial = stringOption(values, "serial");
    if (serial !== undefined && !isReceiverSerial(serial)) {
      usage(`--serial must be 1 to 32 letters, digits or hyphens, got "${serial}"`, "serial");
    }
    const replayFile = stringOption(values, "replay");
    const replay = replayFile === undefined ? undefined : await readReplayFile(replayFile);
    const log = ctx.log.child({ component: "emulator" });
    const emulator = createReceiverEmulator({
      profile: profile as ProfileId,
      seed: integerOption(values, "seed", 0, 0xffff_ffff),
      days: decimalOption(values, "days", 0, 365),
      live: values["live"] === true ? { intervalSeconds: interval ?? 300 } : false,
      realistic: values["realistic"] === true,
      faults: faultsText === undefined ? undefined : parseFaultSpec(faultsText),
      pagesPerRequest: integerOption(values, "pages-per-request", 1, MAX_PAGES_PER_REPLY),
      serial,
      maxPages: integerOption(values, "max-pages", 1, 1_000_000),
      chargerCurrentWidth: width as 1 | 4 | undefined,
      errorPolicy: policyText === undefined ? undefined : parseErrorPolicySpec(policyText),
      replay,
      salt: values["salt"] === true,
      log: ctx.log,
    });
    try {
      if (listen !== undefined) {
        const listener = await emulator.listenTcp(listen.host, listen.port);
        const host = listener.host.includes(":") ? `[${listener.host}]` : listener.host;
        ctx.stdout.write(`listening tcp://${host}:${listener.port}\n`);
      }
      if (ptyPath !== undefined) {
        const pty = await emulator.servePty(ptyPath);
        ctx.stdout.write(`pty ${pty.path}\n`);
      }
      log.info(
        { profile: emulator.profile, serial: emulator.serial, live: values["live"] === true },
        "receiver emulator running",
      );
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    } finally {
      await emulator.close();
    }
    log.info(
      { requests: emulator.stats.requests, replies: emulator.stats.replies },
      "receiver emulator stopped",
    );
    return EXIT.OK;
  },
};

export default command;
