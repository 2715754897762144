// Shared timing helper for the benchmarks: runs `fn` repeatedly for at least `minMs`, after a
// warm-up, and returns the best of several rounds (least disturbed by the machine's other work).
export function measure(fn, { minMs = 300, rounds = 5 } = {}) {
  for (let i = 0; i < 3; i++) fn();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    let iterations = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < minMs) {
      fn();
      iterations++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    best = Math.min(best, elapsed / iterations);
  }
  return best; // ms per call
}

export const mbPerSecond = (bytes, ms) => bytes / 1e6 / (ms / 1000);
