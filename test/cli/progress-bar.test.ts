import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { progressBar } from "../../src/cli/progress-bar.js";
import { LineKeeper } from "../../src/cli/terminal-lines.js";
import { createLogger } from "../../src/log.js";

function target() {
  const stream = new PassThrough();
  const parts: string[] = [];
  stream.setEncoding("utf8").on("data", (text: string) => parts.push(text));
  return { stream, text: () => parts.join("") };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("progress bar", () => {
  it("redraws at most every 100 ms, always at the end, and ends its line", async () => {
    const out = target();
    let now = 1_000_000;
    const bar = progressBar(out.stream, "reading pages", 10, { now: () => now });
    bar.update(1, 4);
    now += 50;
    bar.update(2, 4); // within 100 ms: not drawn
    now += 50;
    bar.update(3, 4);
    now += 10;
    bar.update(4, 4); // the last one is always drawn
    bar.done();
    await flush();
    expect(out.text()).toBe(
      "\rreading pages [###.......] 1/4" +
        "\rreading pages [########..] 3/4" +
        "\rreading pages [##########] 4/4" +
        "\n",
    );
  });

  it("a log line written while the bar is shown starts on a line of its own", async () => {
    const out = target();
    const stderr = new LineKeeper(out.stream);
    let now = 0;
    const bar = progressBar(stderr, "reading pages", 4, { now: () => now });
    const log = createLogger({ level: "info", destination: stderr, pretty: false });
    bar.update(1, 2);
    log.warn("the receiver answered slowly");
    now += 200;
    bar.update(2, 2);
    bar.done();
    log.info("done");
    await flush();
    const lines = out.text().split("\n");
    expect(lines[0]).toBe("\rreading pages [##..] 1/2");
    expect(JSON.parse(lines[1] ?? "")).toMatchObject({ level: 40, msg: "the receiver answered slowly" });
    expect(lines[2]).toBe("\rreading pages [####] 2/2");
    expect(JSON.parse(lines[3] ?? "")).toMatchObject({ level: 30, msg: "done" });
    expect(lines.slice(4)).toEqual([""]);
  });
});
