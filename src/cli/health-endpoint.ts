/** Starts the optional health/metrics endpoint of `run` on the configured address (http.listen). */
import { parseListen } from "../config/load.js";
import type { Logger } from "../log.js";
import { startHealthServer } from "../observe/health-server.js";
import type { Daemon } from "../sync/daemon.js";

export async function startHealthEndpoint(
  listen: string,
  daemon: Daemon,
  log: Logger,
): Promise<{ close(): Promise<void> }> {
  const server = await startHealthServer({
    listen: parseListen(listen),
    snapshot: () => daemon.snapshot(),
    log,
  });
  log.info({ listen, port: server.port }, "health and metrics endpoint listening");
  return server;
}
