/**
 * The reader of our output may go away: `sharebridge receiver dump | head -1` closes the pipe after
 * one line, and the next write fails with EPIPE. That is not a failure of the command: the guard
 * notes it, stops the command through its signal (no more receiver reads for nobody), and the
 * dispatcher then ends with exit 0 and without a word (there is no one left to read it). Without
 * this, Node prints an unhandled 'error' event with a stack trace.
 */
import { SharebridgeError } from "../errors.js";

/** The errors a write gets once the reading end of a pipe or socket is gone. */
const READER_GONE = new Set(["EPIPE", "ERR_STREAM_DESTROYED", "ECONNRESET"]);

export function isReaderGone(error: unknown): boolean {
  return READER_GONE.has(String((error as NodeJS.ErrnoException | undefined)?.code));
}

export class OutputGuard {
  readonly #controller = new AbortController();
  readonly #streams: readonly NodeJS.WritableStream[];
  readonly #parent: AbortSignal;
  #readerGone = false;

  constructor(streams: readonly NodeJS.WritableStream[], parent: AbortSignal) {
    this.#streams = streams;
    this.#parent = parent;
    if (parent.aborted) this.#controller.abort(parent.reason);
    else parent.addEventListener("abort", this.#onParentAbort, { once: true });
    for (const stream of streams) stream.on("error", this.#onError);
  }

  /** Aborted when the parent signal aborts (SIGINT/SIGTERM) or when a reader went away. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether a write found its reader gone. */
  get readerGone(): boolean {
    return this.#readerGone;
  }

  /** Stops watching (the process keeps its own last-resort handler, src/main.ts). */
  release(): void {
    this.#parent.removeEventListener("abort", this.#onParentAbort);
    for (const stream of this.#streams) stream.off("error", this.#onError);
  }

  readonly #onParentAbort = () => this.#controller.abort(this.#parent.reason);

  readonly #onError = (error: Error) => {
    if (!isReaderGone(error)) return;
    this.#readerGone = true;
    this.#controller.abort(new SharebridgeError("ABORTED", "the output's reader went away", {}));
  };
}
