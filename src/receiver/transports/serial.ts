/**
 * Serial transport over `serialport` (the only file that imports it). The receiver is a CDC-ACM
 * virtual COM port: line settings are ignored by the device (spec §1.4), 115200 8N1 without flow
 * control is what peers use; DTR/RTS are not required.
 *
 * An unplug surfaces as the port closing with a DisconnectedError (serialport) or as the read side
 * ending; both become DEVICE_DISCONNECTED.
 *
 * serialport's stream and its native binding (about 11 MiB resident) are loaded on the first open of
 * a serial device, not with this module: a daemon on `tcp://` or a command that opens no port never
 * pays for them. They are what the `serialport` package itself is made of (its `SerialPort` is this
 * stream over the auto-detected binding), taken without the dozen parsers and the mock binding that
 * package also loads and sharebridge does not use (about 1.5 MiB more).
 */
import type { SerialPortStream } from "@serialport/stream";
import { SharebridgeError } from "../../errors.js";
import type { Transport, TransportOpener, TransportSink } from "../transport.js";

export interface SerialOptions {
  /** Time allowed for the open call, ms. Default 5000. */
  openTimeoutMs?: number;
}

export function serialOpener(path: string, options: SerialOptions = {}): TransportOpener {
  return (sink) => openSerial(path, sink, options.openTimeoutMs ?? 5000);
}

function openError(path: string, error: unknown): SharebridgeError {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ENOENT" || /no such file/i.test(message)) {
    return new SharebridgeError(
      "DEVICE_NOT_FOUND",
      `no device at ${path}`,
      { device: path },
      { cause: error },
    );
  }
  if (code === "EACCES" || /permission denied/i.test(message)) {
    return new SharebridgeError(
      "DEVICE_OPEN_FAILED",
      `permission denied on ${path}: add the user to the dialout group (or install the udev rule)`,
      { device: path, reason: "permission" },
      { cause: error },
    );
  }
  return new SharebridgeError(
    "DEVICE_OPEN_FAILED",
    `cannot open ${path}: ${message}`,
    { device: path },
    { cause: error },
  );
}

interface HangupPoller {
  once(event: "disconnect", listener: (error: (Error & { canceled?: boolean }) | null) => void): unknown;
}

/**
 * serialport notices a hang-up only when a read fails, and its reader waits for "readable" alone: when
 * the kernel reports the hang-up without readability (seen with ptys, possible with cdc_acm) the
 * unplug goes unnoticed until the next write. The Linux/macOS binding's poller also reports
 * "disconnect" to whoever asks for it, so ask, where that poller exists.
 */
function watchHangup(port: SerialPortStream, onHangup: () => void): void {
  const poller = (port.port as { poller?: HangupPoller } | undefined)?.poller;
  if (typeof poller?.once !== "function") return;
  poller.once("disconnect", (error) => {
    if (error?.canceled === true) return; // the port was closed on purpose
    onHangup();
  });
}

async function openSerial(path: string, sink: TransportSink, openTimeoutMs: number): Promise<Transport> {
  const [{ SerialPortStream }, { autoDetect }] = await Promise.all([
    import("@serialport/stream"),
    import("@serialport/bindings-cpp"),
  ]);
  const port = new SerialPortStream({
    binding: autoDetect(),
    path,
    baudRate: 115200,
    dataBits: 8,
    stopBits: 1,
    parity: "none",
    rtscts: false,
    autoOpen: false,
  });
  let finished = false;
  const finish = (error?: SharebridgeError) => {
    if (finished) return;
    finished = true;
    sink.closed(error);
  };
  const disconnected = (why: string) =>
    new SharebridgeError("DEVICE_DISCONNECTED", `receiver port ${why}`, { device: path });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new SharebridgeError("DEVICE_OPEN_FAILED", `opening ${path} timed out`, {
          device: path,
          openTimeoutMs,
        }),
      );
      port.close(() => undefined);
    }, openTimeoutMs);
    port.open((error) => {
      clearTimeout(timer);
      if (error) reject(openError(path, error));
      else resolve();
    });
  });

  let closing = false;
  port.on("data", (chunk: Buffer) => sink.data(chunk));
  port.on("close", (error?: Error & { disconnected?: boolean }) => {
    finish(closing && error?.disconnected !== true ? undefined : disconnected("closed"));
  });
  port.on("end", () => {
    if (!closing) void port.close(() => undefined);
    finish(closing ? undefined : disconnected("ended"));
  });
  // serialport emits 'error' for failures without a callback; the close/end paths report them.
  port.on("error", () => undefined);
  watchHangup(port, () => {
    if (closing || finished) return;
    finish(disconnected("hung up"));
    port.close(() => undefined);
  });

  return {
    description: path,
    write(bytes) {
      return new Promise<void>((resolve, reject) => {
        if (!port.isOpen || finished) return reject(disconnected("is closed"));
        port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (error) => {
          if (error)
            return reject(
              new SharebridgeError("DEVICE_DISCONNECTED", "write failed", { device: path }, { cause: error }),
            );
          port.drain((drainError) => (drainError ? reject(disconnected("failed to drain")) : resolve()));
        });
      });
    },
    close() {
      closing = true;
      return new Promise<void>((resolve) => {
        if (!port.isOpen) {
          finish();
          return resolve();
        }
        port.close(() => {
          finish();
          resolve();
        });
      });
    },
  };
}
