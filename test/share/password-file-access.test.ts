/**
 * A password file the process may not read names the uid that must read it (in Docker: the image's
 * user, 10001, not the host user who wrote it). A real process: as root, nobody (65534) reading a
 * root-owned 0600 file, as the image's user meets the README's old recipe; as any other user, a
 * 0000 file of its own.
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { DIST_URL, giveToService, IS_ROOT, runNode, SERVICE_UID } from "../sync/support/processes.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sharebridge-password-"));
  await giveToService(dir);
  await chmod(dir, 0o755);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("an unreadable password file: CONFIG_UNREADABLE naming the uid that must read it, and the fix", async () => {
  const file = join(dir, "share-password");
  await writeFile(file, "secret-password\n", { mode: 0o600 });
  if (!IS_ROOT) await chmod(file, 0o000);
  const result = await runNode(
    `import { readPasswordFile } from "${DIST_URL}share/settings.js";
     try { await readPasswordFile(process.argv[1]); console.log("read"); }
     catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message, context: error.context })); }`,
    [file],
    { asService: true },
  );
  expect(JSON.parse(result.stdout)).toEqual({
    code: "CONFIG_UNREADABLE",
    message: `cannot read the password file ${file} (EACCES): uid ${SERVICE_UID} must be able to read it [CONFIG_UNREADABLE]`,
    context: {
      path: file,
      errno: "EACCES",
      uid: SERVICE_UID,
      fix: `give it to uid ${SERVICE_UID}: sudo chown ${SERVICE_UID} ${file} && sudo chmod 0400 ${file} (in a container: the host file mounted there)`,
    },
  });
  expect(result.stdout).not.toContain("secret-password");
});
