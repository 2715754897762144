/**
 * A one-line progress bar for long backfills on a terminal (the first sync of a receiver reads
 * hundreds of pages). Redraws at most every 100 ms; the caller draws it only on a terminal. Each
 * redraw starts with `\r` and leaves the line open; through the command's stderr (LineKeeper) a
 * log line written meanwhile starts on a new line, and `done()` ends the line.
 */
import { type Clock, systemClock } from "../clock.js";

export interface ProgressBar {
  update(done: number, total: number): void;
  done(): void;
}

export function progressBar(
  stream: NodeJS.WritableStream,
  label: string,
  width = 30,
  clock: Clock = systemClock,
): ProgressBar {
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(done, total) {
      const now = clock.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(ratio * width);
      stream.write(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}
