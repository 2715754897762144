/**
 * Is the host clock synchronised? (DESIGN.md §5: a Raspberry Pi has no real-time clock, so after a
 * boot without network its clock can be hours or years off; readings must never be stamped from it.)
 *
 * Node cannot read the kernel's adjtimex status without native code, and no single tool exists on
 * every system (no systemd in most containers), so the evidence is gathered in this order and the
 * first positive answer wins:
 *
 *   1. the `clock.assumeSynchronized` configuration value, when set (true or false), decides alone —
 *      the override for containers whose host keeps time, or for refusing the host clock outright;
 *   2. `/run/systemd/timesync/synchronized` exists (systemd-timesyncd creates it once synchronised);
 *   3. `timedatectl show -p NTPSynchronized --value` prints `yes` (systemd; reflects the kernel's
 *      synchronisation flag, whichever daemon set it);
 *   4. `chronyc -n tracking` reports `Leap status : Normal` (chrony);
 *   5. `ntpstat` exits 0 (ntpd).
 *
 * No positive answer means "not synchronised"; the caller then falls back to a reference clock such
 * as Share's SystemUtcTime (`reference-clock.ts`). Every probe is injectable for tests.
 */
import { execFile } from "node:child_process";
import { access } from "node:fs/promises";

export interface HostSyncState {
  readonly synchronised: boolean;
  /** What decided: "config", "systemd-timesyncd", "timedatectl", "chrony", "ntpstat" or "none". */
  readonly source: string;
  /** What each probe found, for `doctor` and logs. */
  readonly detail: string;
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
}

/** The system calls the detection needs; replace in tests. */
export interface HostSyncProbe {
  fileExists(path: string): Promise<boolean>;
  /** Runs a command; undefined when it does not exist or could not run (timeout, permissions). */
  run(command: string, args: readonly string[], timeoutMs: number): Promise<CommandResult | undefined>;
}

export const TIMESYNCD_FLAG_FILE = "/run/systemd/timesync/synchronized";
const DEFAULT_TIMEOUT_MS = 2000;

export const systemProbe: HostSyncProbe = {
  async fileExists(path) {
    try {
      await access(path);
      return true;
    } catch {
      return false;
    }
  },
  run(command, args, timeoutMs) {
    return new Promise((resolve) => {
      execFile(
        command,
        [...args],
        { timeout: timeoutMs, env: { ...process.env, LC_ALL: "C" }, maxBuffer: 64 * 1024 },
        (error, stdout) => {
          if (error === null) return resolve({ exitCode: 0, stdout: String(stdout) });
          const code = (error as { code?: unknown }).code;
          // A numeric code is the command's exit status; a string code (ENOENT, EACCES) means it never ran.
          resolve(typeof code === "number" ? { exitCode: code, stdout: String(stdout) } : undefined);
        },
      );
    });
  },
};

export interface HostSyncOptions {
  /** `clock.assumeSynchronized` from the configuration; undefined = detect. */
  readonly assumeSynchronized?: boolean | undefined;
  readonly probe?: HostSyncProbe;
  /** Per command, default 2000 ms. */
  readonly timeoutMs?: number;
}

export async function detectHostSync(options: HostSyncOptions = {}): Promise<HostSyncState> {
  if (options.assumeSynchronized !== undefined) {
    return {
      synchronised: options.assumeSynchronized,
      source: "config",
      detail: `clock.assumeSynchronized is ${options.assumeSynchronized}`,
    };
  }
  const probe = options.probe ?? systemProbe;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const found: string[] = [];

  if (await probe.fileExists(TIMESYNCD_FLAG_FILE)) {
    return { synchronised: true, source: "systemd-timesyncd", detail: `${TIMESYNCD_FLAG_FILE} exists` };
  }
  found.push(`${TIMESYNCD_FLAG_FILE} absent`);

  const timedatectl = await probe.run("timedatectl", ["show", "-p", "NTPSynchronized", "--value"], timeoutMs);
  const answer = timedatectl?.exitCode === 0 ? timedatectl.stdout.trim() : undefined;
  if (answer === "yes") return { synchronised: true, source: "timedatectl", detail: "NTPSynchronized=yes" };
  found.push(answer === undefined ? "timedatectl unavailable" : `timedatectl NTPSynchronized=${answer}`);

  const chrony = await probe.run("chronyc", ["-n", "tracking"], timeoutMs);
  const leap =
    chrony?.exitCode === 0 ? /^Leap status\s*:\s*(.+)$/m.exec(chrony.stdout)?.[1]?.trim() : undefined;
  if (leap === "Normal")
    return { synchronised: true, source: "chrony", detail: "chronyc leap status Normal" };
  found.push(leap === undefined ? "chronyc unavailable" : `chronyc leap status ${leap}`);

  const ntpstat = await probe.run("ntpstat", [], timeoutMs);
  if (ntpstat?.exitCode === 0)
    return { synchronised: true, source: "ntpstat", detail: "ntpstat: synchronised" };
  found.push(ntpstat === undefined ? "ntpstat unavailable" : `ntpstat exit ${ntpstat.exitCode}`);

  return { synchronised: false, source: "none", detail: found.join("; ") };
}
