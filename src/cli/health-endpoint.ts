/** Starts the optional health/metrics endpoint of `run` on the configured address (http.listen). */
import type { Logger } from "../log.js";
import { startHealthServer } from "../observe/health-server.js";
import type { Daemon } from "../sync/daemon.js";
import { formatHostPort, type HostPort } from "../util/host-port.js";

export async function startHealthEndpoint(
  listen: HostPort,
  daemon: Daemon,
  log: Logger,
): Promise<{ close(): Promise<void> }> {
  const server = await startHealthServer({ listen, snapshot: () => daemon.snapshot(), log });
  log.info({ listen: formatHostPort(listen), port: server.port }, "health and metrics endpoint listening");
  return server;
}
