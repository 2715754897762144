/**
 * Real child processes for the state directory's tests: a short ES module run by node against the
 * built program (dist/, which `npm test` builds first), optionally as another user.
 *
 * Ownership is a kernel matter: when the tests run as root, "another user" is nobody (65534), a real
 * uid whose permissions the kernel checks; the state directories are then given to that uid. As any
 * other user, the tests' own uid plays both parts, and only the root-specific cases are skipped.
 */
import { spawn } from "node:child_process";
import { chown } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

export const IS_ROOT = process.getuid?.() === 0;

/** The uid (and gid) that plays "the service's user" in these tests. */
export const SERVICE_UID = IS_ROOT ? 65534 : (process.getuid?.() ?? 0);
export const SERVICE_GID = IS_ROOT ? 65534 : (process.getgid?.() ?? 0);

/** `file://…/dist/` of this checkout, for the child scripts' imports. */
export const DIST_URL = pathToFileURL(fileURLToPath(new URL("../../../dist/", import.meta.url))).href;

/** Gives paths to the service's user (a no-op unless running as root). */
export async function giveToService(...paths: string[]): Promise<void> {
  for (const path of paths) await chown(path, SERVICE_UID, SERVICE_GID);
}

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Child {
  readonly pid: number;
  /** Resolves with the first stdout line that matches. */
  line(pattern: RegExp): Promise<string>;
  readonly done: Promise<ChildResult>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `node --input-type=module -e script args…`, as the service's user when `asService`. */
export function startNode(script: string, args: string[] = [], options: { asService?: boolean } = {}): Child {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.asService === true ? { uid: SERVICE_UID, gid: SERVICE_GID } : {}),
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...waiters]) {
      const found = stdout.split("\n").find((line) => waiter.pattern.test(line));
      if (found !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(found);
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<ChildResult>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    // A node the service's uid may not run (one under a 0700 directory) fails the spawn itself:
    // the test then fails on this message instead of an uncaught exception and a timeout.
    child.on("error", (error) =>
      resolve({
        code: null,
        signal: null,
        stdout,
        stderr: `${stderr}cannot start ${process.execPath} as uid ${options.asService === true ? SERVICE_UID : process.getuid?.()}: ${error.message}`,
      }),
    );
  });
  return {
    pid: child.pid ?? -1,
    line(pattern) {
      const found = stdout.split("\n").find((line) => pattern.test(line));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void done.then((result) =>
          reject(
            new Error(
              `the child ended (${result.code ?? result.signal}) before ${pattern}: ${result.stderr}`,
            ),
          ),
        );
      });
    },
    done,
    kill(signal = "SIGTERM") {
      child.kill(signal);
    },
  };
}

/** Runs a script to its end. */
export async function runNode(
  script: string,
  args: string[] = [],
  options: { asService?: boolean } = {},
): Promise<ChildResult> {
  const result = await startNode(script, args, options).done;
  if (result.code === null && result.signal === null) throw new Error(result.stderr);
  return result;
}
