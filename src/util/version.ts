/** sharebridge's version, from its package.json (read once). */
import { readFile } from "node:fs/promises";

let version: Promise<string> | undefined;

export function packageVersion(): Promise<string> {
  version ??= readFile(new URL("../../package.json", import.meta.url), "utf8").then((text) =>
    String((JSON.parse(text) as { version?: unknown }).version),
  );
  return version;
}
