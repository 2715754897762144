/**
 * Doctor: is the host clock synchronised (DESIGN.md §5)? A Raspberry Pi has no real-time clock: after
 * a boot without network its clock can be far off, and readings must never be stamped from it.
 *
 * An unsynchronised clock is a warning, not a failure: sharebridge then takes true UTC from Share's
 * server time (src/time/reference-clock.ts) and posts only when that answers.
 */
import { access } from "node:fs/promises";
import { detectHostSync } from "../../time/host-sync.js";
import { systemPath } from "./environment.js";
import { type Check, ok, warn } from "./types.js";

export const clockCheck: Check = {
  id: "clock",
  label: "clock",
  async run({ config, env }) {
    const sync = await detectHostSync({
      // Only `true` overrides detection; the configuration's default (false) means "detect".
      assumeSynchronized: config.clock.assumeSynchronized ? true : undefined,
      probe: {
        fileExists: async (path) => {
          try {
            await access(systemPath(env, path));
            return true;
          } catch {
            return false;
          }
        },
        run: (command, args, timeoutMs) => env.run(command, args, timeoutMs),
      },
    });
    if (sync.synchronised) {
      return ok(`synchronised (${sync.source}: ${sync.detail})`);
    }
    return warn(
      `not synchronised (${sync.detail}); readings are stamped from Share's server time until it is`,
      "enable time synchronisation (sudo timedatectl set-ntp true, with network access), or in a container whose host keeps time set clock.assumeSynchronized to true",
    );
  },
};
