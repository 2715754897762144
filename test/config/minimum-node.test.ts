/**
 * One minimum Node.js version everywhere it is stated: package.json's engines, install.sh's check
 * and message, and the README. install.sh's check is run on versions either side of it.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url);
const text = (path: string) => readFile(new URL(path, root), "utf8");

describe("the minimum Node.js version", () => {
  it("is package.json's, and install.sh and the README state the same one", async () => {
    const engines = (JSON.parse(await text("package.json")) as { engines: { node: string } }).engines.node;
    expect(engines).toMatch(/^>=\d+\.\d+\.\d+$/);
    const minimum = engines.slice(2);
    const install = await text("systemd/install.sh");
    expect([...install.matchAll(/Node\.js >= (\d+\.\d+\.\d+)/g)].map((m) => m[1])).toEqual([
      minimum,
      minimum,
    ]);
    const readme = await text("README.md");
    expect(readme).toContain(`You need Node.js ${minimum} or newer with npm.`);
    expect(readme).toContain(`| \`Node.js >= ${minimum} is needed, found v18…\``);
    expect([...readme.matchAll(/\b20\.\d+\.\d+\b/g)].map((m) => m[0]).every((v) => v === minimum)).toBe(true);
  });

  it("install.sh's check accepts exactly that version and later ones", async () => {
    const minimum = (
      JSON.parse(await text("package.json")) as { engines: { node: string } }
    ).engines.node.slice(2);
    const check = /"\$NODE" -e '([^']+)'/.exec(await text("systemd/install.sh"))?.[1] ?? "";
    const [major, minor, patch] = minimum.split(".").map(Number) as [number, number, number];
    const verdict = async (version: string) => {
      const script = `Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} }); ${check}`;
      return run(process.execPath, ["-e", script]).then(
        () => "ok",
        () => "refused",
      );
    };
    expect(await verdict(`${major}.${minor}.${patch}`)).toBe("ok");
    expect(await verdict(`${major}.${minor}.${patch + 1}`)).toBe("ok");
    expect(await verdict(`${major}.${minor + 1}.0`)).toBe("ok");
    expect(await verdict(`${major + 4}.0.0`)).toBe("ok");
    expect(await verdict(`${major}.${minor}.${patch - 1}`)).toBe("refused");
    expect(await verdict(`${major}.${minor - 1}.9`)).toBe("refused");
    expect(await verdict(`${major - 2}.20.0`)).toBe("refused");
  });
});
