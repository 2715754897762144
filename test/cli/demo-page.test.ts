/**
 * `sharebridge demo` as its own process prints the status page's address and serves the page while
 * it runs, in display.units; when it ends, nothing listens there any more.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { request } from "undici";
import { describe, expect, it } from "vitest";

const MAIN = join(import.meta.dirname, "..", "..", "dist", "main.js");

describe("sharebridge demo's status page", () => {
  it("is at the printed address while the demo runs, and gone afterwards", async () => {
    const child = spawn(process.execPath, [MAIN, "demo", "--seconds", "6", "--interval", "1"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", SHAREBRIDGE_DISPLAY_UNITS: "mmol/L", SHAREBRIDGE_CONFIG: "" },
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      let out = "";
      child.stdout.setEncoding("utf8");
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (text: string) => {
          out += text;
          const match = /Status page: (http:\/\/127\.0\.0\.1:\d+\/) \(open while the demo runs\)\n/.exec(out);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.once("exit", () => reject(new Error(`the demo ended without an address:\n${out}`)));
      });
      // Wait for the first readings to be archived, then look.
      let facts: { unit: string; newest: { text: string } | null } = { unit: "", newest: null };
      for (let i = 0; i < 50 && facts.newest === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const response = await request(`${address}status.json`);
        facts = (await response.body.json()) as typeof facts;
      }
      expect(facts.unit).toBe("mmol/L");
      expect(facts.newest?.text).toMatch(/^(\d+\.\d|LOW|HIGH)$/);
      const page = await request(address);
      expect(page.statusCode).toBe(200);
      expect(await page.body.text()).toContain('<text class="unit" x="2" y="16">mmol/L</text>');
      expect(await exited).toBe(0);
      expect(out).toContain(" mmol/L\n");
      await expect(request(address)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);
});
