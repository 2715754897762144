/**
 * The shapes shared by `sharebridge doctor`'s checks (DESIGN.md §8: "doctor checks the environment
 * … and prints the fix for each failure").
 *
 * Each check is a function of the environment and of what earlier checks learned (`DoctorFacts`:
 * the device path, the receiver serial, the logged-in client). Everything a check asks of the
 * system goes through `DoctorEnvironment`, so tests run every check against a temporary folder laid
 * out like the file system, a fake command runner, the receiver emulator and the Share emulator.
 */
import type { Config } from "../../config/schema.js";
import type { Logger } from "../../log.js";
import type { DiscoveryRoots } from "../../receiver/discovery.js";
import type { TransportOpener } from "../../receiver/transport.js";
import type { ShareClient } from "../../share/client.js";
import type { Secret } from "../../share/secret.js";
import type { SyncState } from "../../sync/state.js";
import type { CommandResult } from "../../time/host-sync.js";
import type { DeviceNode } from "./device-node.js";

/** ok: fine. warn: works, but worth a look. fail: sharebridge cannot work like this. skip: not applicable. */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

/** What one check found. */
export interface CheckOutcome {
  readonly status: CheckStatus;
  /** One line: what was found. */
  readonly finding: string;
  /** For fail and warn: what to do about it. */
  readonly fix?: string | undefined;
}

export interface CheckResult extends CheckOutcome {
  /** Stable identifier (device, permissions, udev, …). */
  readonly id: string;
  /** What the line is labelled with. */
  readonly label: string;
}

export const ok = (finding: string): CheckOutcome => ({ status: "ok", finding });
export const warn = (finding: string, fix: string): CheckOutcome => ({ status: "warn", finding, fix });
export const fail = (finding: string, fix: string): CheckOutcome => ({ status: "fail", finding, fix });
export const skip = (finding: string): CheckOutcome => ({ status: "skip", finding });

export interface DoctorUser {
  readonly name: string;
  readonly uid: number;
  /** The groups this process has (not the ones /etc/group lists: those apply from the next login). */
  readonly gids: readonly number[];
}

export interface FileSystemStats {
  /** Blocks available to an unprivileged user. */
  readonly bavail: number;
  /** Block size, bytes. */
  readonly bsize: number;
}

export interface DoctorEnvironment {
  /**
   * Prefix of every system path read: udev rule folders, /proc, /etc/group, /sys, /dev, the Docker
   * secret, the container markers, the timesyncd flag. "/" on a real system.
   */
  readonly root: string;
  readonly now: () => number;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Runs a command with a timeout; undefined when it does not exist or could not run. */
  run(command: string, args: readonly string[], timeoutMs: number): Promise<CommandResult | undefined>;
  /** access(2): resolves when `mode` is allowed on `path`, rejects with the errno error otherwise. */
  access(path: string, mode: number): Promise<void>;
  statfs(path: string): Promise<FileSystemStats>;
  user(): DoctorUser;
  /** What a device path is, its owner, group and mode (tests describe fake ttys). */
  deviceNode(path: string): Promise<DeviceNode>;
  /** How a tty path is opened (tests map a fake tty to the receiver emulator). */
  serialOpener(path: string): TransportOpener;
  /** The udev port listing for discovery (default: serialport's, when udevadm exists). */
  readonly listUdev?: DiscoveryRoots["listUdev"];
}

/** How the configured device is reached. */
export type DeviceKind = "auto" | "path" | "tcp" | "emulate";

/** What checks learn for the ones after them. */
export interface DoctorFacts {
  deviceKind?: DeviceKind;
  /** A local tty to check permissions on (the by-id link or the node). */
  devicePath?: string;
  /** How to open the receiver, once the device check found it. */
  opener?: { readonly opener: TransportOpener; release(): Promise<void> };
  /** The receiver's serial, once it answered. */
  serial?: string;
  /** The state file, when readable (for the login breaker). */
  state?: SyncState;
  /** The password, once read; never printed. */
  password?: Secret;
  passwordFile?: string;
  /** A client that logged in successfully. */
  client?: ShareClient;
  /** Whether sharebridge runs inside a container (udev and ModemManager are then the host's). */
  inContainer?: boolean;
}

export interface CheckContext {
  readonly config: Config;
  readonly env: DoctorEnvironment;
  readonly facts: DoctorFacts;
  readonly log: Logger;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

export interface Check {
  /** Stable identifier (device, permissions, udev, …). */
  readonly id: string;
  /** What its line is labelled with. */
  readonly label: string;
  run(context: CheckContext): Promise<CheckOutcome>;
}
