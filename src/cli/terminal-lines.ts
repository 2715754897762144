/**
 * stderr as the one-shot commands share it: log lines, and at times a status line that redraws in
 * place (the progress bar writes `\r…` with no newline). A log line written while a status line is
 * open would be glued to its end; this stream ends the open line first, so every log line starts
 * on a line of its own, and the status line is drawn again below it on its next update.
 */
import { Writable } from "node:stream";

type Target = NodeJS.WritableStream & { isTTY?: boolean };

export class LineKeeper extends Writable {
  /** Whether the target is a terminal (pino-pretty and the progress bar ask). */
  readonly isTTY: boolean;
  readonly #target: Target;
  #lineOpen = false;

  constructor(target: Target) {
    super({ decodeStrings: false });
    this.#target = target;
    this.isTTY = target.isTTY === true;
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
    // A redraw: starts with a carriage return and does not end the line.
    const redraw = text.startsWith("\r") && !text.includes("\n");
    const out = this.#lineOpen && !redraw && !text.startsWith("\n") ? `\n${text}` : text;
    this.#lineOpen = redraw || (this.#lineOpen && !text.includes("\n"));
    this.#target.write(out);
    callback();
  }
}
