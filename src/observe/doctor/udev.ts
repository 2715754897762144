/**
 * Doctor: the udev rule and ModemManager (DESIGN.md §8: "a udev rule giving a stable name and
 * telling ModemManager to ignore the receiver").
 *
 * The receiver's USB interface says it speaks AT commands, so ModemManager, when it runs, opens it
 * and probes it as a modem: the receiver then disappears or answers garbage for a while. The cure is
 * `ENV{ID_MM_DEVICE_IGNORE}="1"` for 22a3:0047, which sharebridge ships as
 * systemd/99-dexcom-receiver.rules.
 *
 * Rule files are searched the way udev layers them: a file in /etc/udev/rules.d hides one of the
 * same name in /run or /lib (an empty file or a link to /dev/null disables a packaged rule). Files
 * are read only up to a size no rule file reaches; a folder full of files is read only so far.
 *
 * Inside a container udev and ModemManager belong to the host, which the container cannot see:
 * both checks then say so instead of guessing.
 */
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { DEXCOM_PRODUCT_ID, DEXCOM_VENDOR_ID } from "../../receiver/discovery.js";
import { systemPath } from "./environment.js";
import { type Check, type CheckContext, type DoctorEnvironment, fail, ok, skip } from "./types.js";

/** Highest precedence first (udev(7): /etc, then /run, then the packaged folders). */
export const UDEV_RULE_DIRS = [
  "/etc/udev/rules.d",
  "/run/udev/rules.d",
  "/usr/lib/udev/rules.d",
  "/lib/udev/rules.d",
];
export const RULE_FILE_NAME = "99-dexcom-receiver.rules";
const MAX_RULE_FILE_BYTES = 64 * 1024;
const MAX_RULE_FILES = 2000;
/** /proc entries looked at when systemctl cannot tell (containers, other init systems). */
const MAX_PROCESSES = 32_768;
const COMMAND_TIMEOUT_MS = 3000;

const INSTALL_RULE = `install the rule shipped with sharebridge: sudo cp systemd/${RULE_FILE_NAME} /etc/udev/rules.d/ && sudo udevadm control --reload-rules && sudo udevadm trigger, then replug the receiver`;

export interface ReceiverRules {
  /** Effective rule files that mention 22a3 and 0047. */
  readonly mentioning: readonly string[];
  /** Of those, the ones that also set ID_MM_DEVICE_IGNORE. */
  readonly ignoringModemManager: readonly string[];
}

/** Reads up to `limit` bytes of a file; undefined when it cannot be read. */
async function readHead(path: string, limit: number): Promise<string | undefined> {
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(limit);
      const { bytesRead } = await handle.read(buffer, 0, limit, 0);
      return buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

export async function scanUdevRules(env: DoctorEnvironment): Promise<ReceiverRules> {
  const effective = new Map<string, string>();
  for (const dir of UDEV_RULE_DIRS) {
    let names: string[];
    try {
      names = await readdir(systemPath(env, dir));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (effective.size >= MAX_RULE_FILES) break;
      if (name.endsWith(".rules") && !effective.has(name))
        effective.set(name, join(systemPath(env, dir), name));
    }
  }
  const mentioning: string[] = [];
  const ignoringModemManager: string[] = [];
  for (const path of effective.values()) {
    const text = await readHead(path, MAX_RULE_FILE_BYTES);
    if (text === undefined) continue;
    const rules = text
      .split("\n")
      .filter((line) => !line.trimStart().startsWith("#"))
      .join("\n")
      .toLowerCase();
    if (!rules.includes(DEXCOM_VENDOR_ID) || !rules.includes(DEXCOM_PRODUCT_ID)) continue;
    mentioning.push(path);
    if (/id_mm_device_ignore\}?\s*=\s*"1"/.test(rules)) ignoringModemManager.push(path);
  }
  return { mentioning, ignoringModemManager };
}

/** Docker writes /.dockerenv, podman /run/.containerenv. */
export async function detectContainer(env: DoctorEnvironment): Promise<boolean> {
  for (const marker of ["/.dockerenv", "/run/.containerenv"]) {
    if ((await readHead(systemPath(env, marker), 1)) !== undefined) return true;
  }
  return false;
}

/** Why a host-side check does not apply, or undefined when it does. */
async function notApplicable(context: CheckContext): Promise<string | undefined> {
  const { facts, env } = context;
  if (facts.deviceKind === "tcp" || facts.deviceKind === "emulate") {
    return "the receiver is not on this computer's USB";
  }
  facts.inContainer ??= await detectContainer(env);
  return facts.inContainer ? "in a container: this belongs to the host" : undefined;
}

export const udevRuleCheck: Check = {
  id: "udev",
  label: "udev rule",
  async run(context) {
    const why = await notApplicable(context);
    if (why !== undefined)
      return skip(
        context.facts.inContainer === true ? `${why}: install systemd/${RULE_FILE_NAME} there` : why,
      );
    const rules = await scanUdevRules(context.env);
    const first = rules.mentioning[0];
    if (first === undefined) {
      return fail(
        `no udev rule for the receiver (${DEXCOM_VENDOR_ID}:${DEXCOM_PRODUCT_ID}) in /etc/udev/rules.d or /lib/udev/rules.d`,
        INSTALL_RULE,
      );
    }
    const ignores = rules.ignoringModemManager.includes(first)
      ? "tells ModemManager to ignore the receiver"
      : "does not mention ModemManager";
    return ok(`${first} (${ignores})`);
  },
};

/** Is ModemManager running? systemd's answer when it has one, else a look through /proc. */
async function modemManagerRunning(env: DoctorEnvironment): Promise<{ running: boolean; how: string }> {
  const answer = (
    await env.run("systemctl", ["is-active", "ModemManager"], COMMAND_TIMEOUT_MS)
  )?.stdout.trim();
  if (answer === "active" || answer === "activating" || answer === "reloading") {
    return { running: true, how: `systemctl: ${answer}` };
  }
  if (answer === "inactive" || answer === "failed" || answer === "unknown" || answer === "deactivating") {
    return { running: false, how: `systemctl: ${answer}` };
  }
  const proc = systemPath(env, "/proc");
  let names: string[];
  try {
    names = (await readdir(proc)).filter((name) => /^\d{1,10}$/.test(name)).slice(0, MAX_PROCESSES);
  } catch {
    return { running: false, how: "no systemd and no /proc to look in" };
  }
  for (const pid of names) {
    const comm = await readHead(join(proc, pid, "comm"), 64);
    if (comm?.trim() === "ModemManager") return { running: true, how: `process ${pid}` };
  }
  return { running: false, how: "no ModemManager process" };
}

export const modemManagerCheck: Check = {
  id: "modemmanager",
  label: "ModemManager",
  async run(context) {
    const why = await notApplicable(context);
    if (why !== undefined) return skip(why);
    const { running, how } = await modemManagerRunning(context.env);
    if (!running) return ok(`not running (${how})`);
    const rules = await scanUdevRules(context.env);
    const rule = rules.ignoringModemManager[0];
    if (rule !== undefined) return ok(`running (${how}), told to ignore the receiver by ${rule}`);
    return fail(
      `running (${how}) with no udev rule telling it to ignore the receiver: it probes the receiver as a modem, which garbles or stalls the link`,
      `${INSTALL_RULE}; or, with no modem on this computer, sudo systemctl disable --now ModemManager`,
    );
  },
};
