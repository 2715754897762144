/**
 * Raw TCP transport: a receiver exported by ser2net (or socat, or `sharebridge emulate receiver
 * --listen`) as a plain byte stream, addressed as tcp://HOST:PORT.
 */
import { connect } from "node:net";
import { SharebridgeError } from "../../errors.js";
import type { Transport, TransportOpener } from "../transport.js";

export interface TcpOptions {
  /** Time allowed to connect, ms. Default 5000. */
  connectTimeoutMs?: number;
}

export function tcpOpener(host: string, port: number, options: TcpOptions = {}): TransportOpener {
  const description = `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  return (sink) =>
    new Promise<Transport>((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      let connected = false;
      let closing = false;
      let finished = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new SharebridgeError("DEVICE_OPEN_FAILED", `connecting to ${description} timed out`, {
            device: description,
          }),
        );
      }, timeoutMs);

      socket.on("connect", () => {
        connected = true;
        clearTimeout(timer);
        resolve(transport);
      });
      socket.on("data", (chunk: Buffer) => sink.data(chunk));
      socket.on("error", (error: NodeJS.ErrnoException) => {
        if (connected) return; // 'close' follows and reports it
        clearTimeout(timer);
        const code = error.code === "ECONNREFUSED" ? "DEVICE_NOT_FOUND" : "DEVICE_OPEN_FAILED";
        reject(
          new SharebridgeError(
            code,
            `cannot connect to ${description}: ${error.message}`,
            { device: description },
            { cause: error },
          ),
        );
      });
      socket.on("close", () => {
        if (!connected || finished) return;
        finished = true;
        sink.closed(
          closing
            ? undefined
            : new SharebridgeError("DEVICE_DISCONNECTED", "the TCP peer closed", { device: description }),
        );
      });

      const transport: Transport = {
        description,
        write(bytes) {
          return new Promise<void>((resolveWrite, rejectWrite) => {
            if (socket.destroyed || finished) {
              return rejectWrite(
                new SharebridgeError("DEVICE_DISCONNECTED", "socket is closed", { device: description }),
              );
            }
            socket.write(bytes, (error) =>
              error
                ? rejectWrite(
                    new SharebridgeError(
                      "DEVICE_DISCONNECTED",
                      "write failed",
                      { device: description },
                      { cause: error },
                    ),
                  )
                : resolveWrite(),
            );
          });
        },
        close() {
          closing = true;
          return new Promise<void>((resolveClose) => {
            if (socket.destroyed) return resolveClose();
            socket.once("close", () => resolveClose());
            socket.destroy();
          });
        },
      };
    });
}
