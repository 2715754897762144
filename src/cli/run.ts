/**
 * `sharebridge run`: the daemon (what systemd and Docker start). Logs JSON lines to stdout; exits 0
 * on SIGTERM/SIGINT after saving state and closing the port, 2 on a configuration error, 70 when its
 * own loop stalls (systemd then restarts it).
 */
import { startAlerts } from "../app/alerts.js";
import { buildSystem } from "../app/system.js";
import { waitForUsableStateDirectory } from "../sync/state-directory.js";
import { acquireStateLock } from "../sync/state-lock.js";
import { STATE_FILE_NAME } from "../sync/state-store.js";
import type { Command } from "./command.js";
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_USAGE } from "./config-options.js";
import { EXIT } from "./exit-codes.js";

const command: Command = {
  usage: `[options]

${CONFIG_FLAGS_USAGE}`,
  options: { ...CONFIG_FLAG_OPTIONS },
  logsToStdout: true,
  requiresShareAccount: true,
  async run(context) {
    const { config, configFile: file } = context;
    context.log.info(
      { config: file ?? "(none: flags and environment)", stateDir: config.stateDir, device: config.device },
      "configuration loaded",
    );
    // A state directory the daemon may not use is waited out, not exited on (systemd's start limit
    // would stop it for good); a second daemon on the same directory is refused.
    const stateOptions = { fileName: STATE_FILE_NAME, log: context.log, signal: context.signal };
    if (!(await waitForUsableStateDirectory(config.stateDir, stateOptions))) return EXIT.OK;
    const lock = await acquireStateLock(config.stateDir, { command: "run", log: context.log });
    const system = await buildSystem(config, { log: context.log, mqtt: true }).catch(
      async (error: unknown) => {
        await lock.release();
        throw error;
      },
    );
    let stalled = false;
    const daemon = system.daemon({
      onStall: () => {
        stalled = true;
        // The loop is stuck somewhere no timeout reaches: leave, and let systemd start a fresh process.
        process.exit(EXIT.STALLED);
      },
    });
    // The listener and the alerts start before the loop; if either cannot (a token missing beyond
    // loopback, a port in use), nothing is left held.
    let health: { close(): Promise<void> } | undefined;
    let alerts: Awaited<ReturnType<typeof startAlerts>>;
    try {
      health =
        config.http.listen === null
          ? undefined
          : await (await import("./health-endpoint.js")).startHealthEndpoint(
              config.http.listen,
              system,
              daemon,
              context.log,
            );
      alerts = await startAlerts(system, daemon);
    } catch (error) {
      await health?.close();
      await system.close();
      await lock.release();
      throw error;
    }
    try {
      await daemon.run(context.signal);
    } finally {
      await alerts?.stop();
      await health?.close();
      await system.close();
      await lock.release();
    }
    return stalled ? EXIT.STALLED : EXIT.OK;
  },
};

export default command;
