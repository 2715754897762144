/**
 * `sharebridge doctor`: checks the environment sharebridge runs in and prints the fix for each
 * problem (DESIGN.md §8). In order: the receiver's device, permissions on it, the udev rule,
 * ModemManager, whether the receiver answers, the clock, the state directory, disk space, the Share
 * account, the password, one login, and the receiver's assignment (src/observe/doctor/).
 *
 * It changes nothing: no file is written (the state file is the daemon's), nothing is assigned on
 * Share, and at most one login request is made — none when the state file says Share refused the
 * same credentials or locked the account.
 *
 * Exit codes:
 *   0    no check failed (warnings allowed)
 *   8    at least one check failed (DOCTOR_EXIT.CHECKS_FAILED; the output says which and how to fix it)
 *   2    wrong command line or invalid configuration (doctor could not start)
 *   130  interrupted
 */

import { systemEnvironment } from "../observe/doctor/environment.js";
import { formatDoctor, runDoctor } from "../observe/doctor/run.js";
import type { DoctorEnvironment } from "../observe/doctor/types.js";
import { parseDeviceSpec } from "../receiver/device.js";
import type { Command } from "./command.js";
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";
import { quietUnlessAsked } from "./status.js";

export const DOCTOR_EXIT = {
  OK: EXIT.OK,
  /** At least one check failed. Distinct from every code `sync` and `run` use (README, exit codes). */
  CHECKS_FAILED: EXIT.CHECKS_FAILED,
} as const;

/** The command, over a given environment (tests pass a fake file system, commands and user). */
export function doctorCommand(environment: () => DoctorEnvironment = () => systemEnvironment()): Command {
  return {
    usage: `[options]

${CONFIG_FLAGS_USAGE}`,
    options: { ...CONFIG_FLAG_OPTIONS },
    async run(context) {
      const { config, configFile: file } = context;
      if (!/^emulate(?::[a-z0-9]+)?$/.test(config.device.trim())) parseDeviceSpec(config.device); // invalid → exit 2
      context.stdout.write(
        `sharebridge doctor (configuration: ${file ?? "no file; defaults, environment and flags"})\n\n`,
      );
      const report = await runDoctor({
        config,
        env: environment(),
        log: quietUnlessAsked(context),
        signal: context.signal,
      });
      context.stdout.write(formatDoctor(report));
      return report.failed === 0 ? DOCTOR_EXIT.OK : DOCTOR_EXIT.CHECKS_FAILED;
    },
  };
}

export default doctorCommand();
