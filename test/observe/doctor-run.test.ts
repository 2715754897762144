/** Doctor's runner: order, time bounds, crashes, scrubbing, and the printed report. */
import { describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { formatDoctor, runDoctor } from "../../src/observe/doctor/run.js";
import type { Check, DoctorEnvironment } from "../../src/observe/doctor/types.js";
import { Secret } from "../../src/share/secret.js";
import { testConfig } from "./support/doctor.js";

const env = {} as DoctorEnvironment; // the checks below ask nothing of it

function check(id: string, run: Check["run"]): Check {
  return { id, label: id.replace("-", " "), run };
}

describe("runDoctor", () => {
  it("runs every check in order, passing facts along; a crash or an overrun is a failure, not the end", async () => {
    let released = 0;
    const report = await runDoctor({
      config: testConfig(),
      env,
      log: silentLogger,
      signal: new AbortController().signal,
      checkDeadlineMs: 100,
      checks: [
        check("first", async ({ facts }) => {
          facts.serial = "SM12345678";
          facts.opener = {
            opener: async () => Promise.reject(new Error("unused")),
            release: async () => void released++,
          };
          return { status: "ok", finding: "fine" };
        }),
        check("crashing", async () => {
          throw new Error("unexpected");
        }),
        check("hanging", () => new Promise(() => undefined)),
        check("second-to-last", async ({ facts }) => ({
          status: "warn",
          finding: `saw ${facts.serial}`,
          fix: "look",
        })),
        check("last", async () => ({ status: "skip", finding: "not here" })),
      ],
    });
    expect(report).toEqual({
      failed: 2,
      warnings: 1,
      results: [
        { id: "first", label: "first", status: "ok", finding: "fine", fix: undefined },
        {
          id: "crashing",
          label: "crashing",
          status: "fail",
          finding: "unexpected [INTERNAL]",
          fix: "correct what the message names and run doctor again",
        },
        {
          id: "hanging",
          label: "hanging",
          status: "fail",
          finding: "did not finish within 100 ms",
          fix: "run doctor again; if it hangs again, run it with --log-level debug and report the output",
        },
        {
          id: "second-to-last",
          label: "second to-last",
          status: "warn",
          finding: "saw SM12345678",
          fix: "look",
        },
        { id: "last", label: "last", status: "skip", finding: "not here", fix: undefined },
      ],
    });
    expect(released).toBe(1);
  });

  it("scrubs the password from every line, whatever a check wrote", async () => {
    const report = await runDoctor({
      config: testConfig(),
      env,
      log: silentLogger,
      signal: new AbortController().signal,
      checks: [
        check("password", async ({ facts }) => {
          facts.password = new Secret("hunter2");
          return { status: "fail", finding: "got hunter2 back", fix: "not hunter2" };
        }),
      ],
    });
    expect(report.results[0]).toMatchObject({ finding: "got [redacted] back", fix: "not [redacted]" });
  });

  it("stops when interrupted", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await runDoctor({
      config: testConfig(),
      env,
      log: silentLogger,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(isSharebridgeError(error, "ABORTED")).toBe(true);
  });
});

describe("formatDoctor", () => {
  it("aligns markers and labels, prints fixes under failures and warnings, and sums up", () => {
    const text = formatDoctor({
      failed: 1,
      warnings: 1,
      results: [
        { id: "a", label: "receiver device", status: "ok", finding: "/dev/ttyACM0" },
        { id: "b", label: "clock", status: "warn", finding: "not synchronised", fix: "enable NTP" },
        { id: "c", label: "permissions", status: "fail", finding: "denied\u001b[31m", fix: "join dialout" },
        { id: "d", label: "assignment", status: "skip", finding: "needs a login", fix: "ignored" },
      ],
    });
    expect(text).toBe(`  ok    receiver device  /dev/ttyACM0
  warn  clock            not synchronised
                         fix: enable NTP
  FAIL  permissions      denied?[31m
                         fix: join dialout
  skip  assignment       needs a login

1 check failed, 1 warning.
`);
    expect(formatDoctor({ failed: 0, warnings: 0, results: [] })).toBe("\nNo problems found.\n");
    expect(formatDoctor({ failed: 0, warnings: 2, results: [] })).toBe("\nNo problems found, 2 warnings.\n");
    expect(formatDoctor({ failed: 3, warnings: 0, results: [] })).toBe("\n3 checks failed.\n");
  });
});
