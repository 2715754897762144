#!/usr/bin/env node
/**
 * Process entry: hands argv to the CLI and turns its result into the exit code.
 * SIGINT/SIGTERM abort the running command through its signal; a second signal exits at once.
 * The handlers are installed before the rest of the program is loaded (only errors.ts, which
 * imports nothing, comes first), so that a stop request during start-up is a clean stop too.
 */
import { SharebridgeError } from "./errors.js";

const controller = new AbortController();
let signalled = false;
for (const name of ["SIGINT", "SIGTERM"] as const) {
  process.on(name, () => {
    if (signalled) process.exit(130);
    signalled = true;
    controller.abort(new SharebridgeError("ABORTED", `received ${name}`, { signal: name }));
  });
}

// Last resort for output errors outside a command (the dispatcher handles those during one): a
// reader that went away (EPIPE after `| head`) is not worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") process.exitCode = 1;
  });
}

const { runCli } = await import("./cli/index.js");
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
process.exitCode = code;
