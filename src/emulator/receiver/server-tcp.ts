/**
 * Serves the emulator over raw TCP (the ser2net style the driver's `tcp://host:port` expects): each
 * accepted connection is one session, as if the cable were plugged in for its lifetime. Binds to
 * loopback unless told otherwise; an unplug closes the socket after the partial reply.
 */
import { createServer, type Server, type Socket } from "node:net";
import { SharebridgeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { DeviceLink, EmulatorSession } from "./session.js";

export interface TcpListener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function checkListenAddress(host: string, port: number): void {
  if (typeof host !== "string" || host.length === 0 || host.length > 255 || /[\s/]/.test(host)) {
    throw new SharebridgeError("CONFIG_INVALID", "listen host must be a host name or IP address", { host });
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new SharebridgeError("CONFIG_INVALID", "listen port must be 0–65535", { port });
  }
}

export async function listenTcp(
  host: string,
  port: number,
  startSession: (link: DeviceLink) => EmulatorSession,
  log: Logger,
): Promise<TcpListener> {
  checkListenAddress(host, port);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const description = `tcp://${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    const link: DeviceLink = {
      description,
      write: (bytes) =>
        new Promise<void>((resolve, reject) => {
          if (socket.destroyed) {
            reject(new SharebridgeError("DEVICE_DISCONNECTED", "socket closed", { device: description }));
            return;
          }
          socket.write(bytes, (error) => (error ? reject(error) : resolve()));
        }),
      unplug: () => socket.destroy(),
      close: async () => {
        socket.destroy();
      },
    };
    const session = startSession(link);
    socket.on("data", (chunk: Buffer) =>
      session.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)),
    );
    socket.on("error", (error) =>
      log.debug({ err: error, device: description }, "emulator tcp socket error"),
    );
    socket.on("close", () => {
      sockets.delete(socket);
      session.closed();
    });
    log.info({ device: description }, "emulator: tcp connection");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        new SharebridgeError(
          "CONFIG_INVALID",
          `cannot listen on ${host}:${port}: ${error.message}`,
          { host, port },
          { cause: error },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address !== null ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    host,
    port: actualPort,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
