/**
 * Starts `run`'s local listener on the configured address (http.listen): the status page and its
 * JSON, /healthz and /metrics; with the access token from http.tokenFile when there is one (required
 * beyond loopback: startHealthServer refuses otherwise).
 */
import type { System } from "../app/system.js";
import { loadHttpToken } from "../config/http-token.js";
import type { Logger } from "../log.js";
import { startHealthServer } from "../observe/health-server.js";
import { statusPage } from "../observe/page/status-page.js";
import type { Daemon } from "../sync/daemon.js";
import { formatHostPort, type HostPort } from "../util/host-port.js";

export async function startHealthEndpoint(
  listen: HostPort,
  system: System,
  daemon: Daemon,
  log: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ close(): Promise<void> }> {
  const token = await loadHttpToken(system.config, env);
  const server = await startHealthServer({
    listen,
    snapshot: () => daemon.snapshot(),
    log,
    token,
    page: statusPage({ archive: system.archive, unit: system.config.display.units }),
  });
  log.info(
    { listen: formatHostPort(listen), port: server.port, token: token === undefined ? "none" : "required" },
    "status page, health and metrics endpoint listening",
  );
  return server;
}
