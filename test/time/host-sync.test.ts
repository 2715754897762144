// Host clock synchronisation detection (src/time/host-sync.ts) with an injected probe.
import { describe, expect, it } from "vitest";
import {
  type CommandResult,
  detectHostSync,
  type HostSyncProbe,
  TIMESYNCD_FLAG_FILE,
} from "../../src/time/host-sync.js";

function probe(files: string[], commands: Record<string, CommandResult>): HostSyncProbe & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    fileExists: async (path) => files.includes(path),
    run: async (command) => {
      ran.push(command);
      return commands[command];
    },
  };
}

describe("detectHostSync", () => {
  it("the configuration decides alone, either way", async () => {
    const p = probe([TIMESYNCD_FLAG_FILE], {});
    expect(await detectHostSync({ assumeSynchronized: false, probe: p })).toMatchObject({
      synchronised: false,
      source: "config",
    });
    expect(await detectHostSync({ assumeSynchronized: true, probe: p })).toMatchObject({
      synchronised: true,
      source: "config",
    });
    expect(p.ran).toEqual([]);
  });

  it("systemd-timesyncd's flag file is enough", async () => {
    const p = probe([TIMESYNCD_FLAG_FILE], {});
    expect(await detectHostSync({ probe: p })).toMatchObject({
      synchronised: true,
      source: "systemd-timesyncd",
    });
    expect(p.ran).toEqual([]);
  });

  it("timedatectl yes", async () => {
    const p = probe([], { timedatectl: { exitCode: 0, stdout: "yes\n" } });
    expect(await detectHostSync({ probe: p })).toMatchObject({ synchronised: true, source: "timedatectl" });
  });

  it("chrony with a normal leap status, after timedatectl said no", async () => {
    const p = probe([], {
      timedatectl: { exitCode: 0, stdout: "no\n" },
      chronyc: {
        exitCode: 0,
        stdout: "Reference ID    : C0A80001\nStratum         : 3\nLeap status     : Normal\n",
      },
    });
    expect(await detectHostSync({ probe: p })).toMatchObject({ synchronised: true, source: "chrony" });
  });

  it("ntpstat exit 0", async () => {
    const p = probe([], { ntpstat: { exitCode: 0, stdout: "synchronised to NTP server\n" } });
    expect(await detectHostSync({ probe: p })).toMatchObject({ synchronised: true, source: "ntpstat" });
  });

  it("no evidence (a container without any of them) is not synchronised, with what was tried", async () => {
    const p = probe([], {
      chronyc: { exitCode: 0, stdout: "Leap status     : Not synchronised\n" },
      ntpstat: { exitCode: 1, stdout: "unsynchronised\n" },
    });
    const state = await detectHostSync({ probe: p });
    expect(state).toMatchObject({ synchronised: false, source: "none" });
    expect(state.detail).toContain("timedatectl unavailable");
    expect(state.detail).toContain("chronyc leap status Not synchronised");
    expect(state.detail).toContain("ntpstat exit 1");
    expect(p.ran).toEqual(["timedatectl", "chronyc", "ntpstat"]);
  });

  it("the real system probe answers without throwing", async () => {
    const state = await detectHostSync({ timeoutMs: 1000 });
    expect(typeof state.synchronised).toBe("boolean");
  });
});
