/**
 * A one-line progress bar for long backfills on a terminal (the first sync of a receiver reads
 * hundreds of pages). Redraws at most every 100 ms; nothing is printed when there is no terminal.
 */
export interface ProgressBar {
  update(done: number, total: number): void;
  done(): void;
}

export function progressBar(stream: NodeJS.WritableStream, label: string, width = 30): ProgressBar {
  let lastDraw = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
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
