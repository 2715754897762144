// Run before the tests (npm's pretest): the pseudo-terminal tests need socat, the status page's
// browser tests Debian's chromium, the MQTT tests mosquitto (with mosquitto_passwd) and openssl.
// Say so plainly instead of letting a dozen tests fail with ENOENT.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { CHROMIUM } from "./chromium.mjs";

const probe = spawnSync("socat", ["-V"], { stdio: "ignore" });
if (probe.error !== undefined) {
  console.error(
    "The tests need socat (real pseudo-terminals for the serial tests): sudo apt-get install socat",
  );
  process.exit(1);
}

try {
  accessSync(CHROMIUM, constants.X_OK);
} catch {
  console.error(
    `The status page's browser tests need chromium at ${CHROMIUM} (or set SHAREBRIDGE_CHROMIUM): sudo apt-get install chromium`,
  );
  process.exit(1);
}

const missing = [
  ["/usr/sbin/mosquitto", ["-h"]],
  ["mosquitto_passwd", ["-h"]],
  ["openssl", ["version"]],
].filter(([command, args]) => spawnSync(command, args, { stdio: "ignore" }).error !== undefined);
if (missing.length > 0) {
  console.error(
    `The MQTT tests need ${missing.map(([c]) => c).join(", ")} (a real broker): sudo apt-get install mosquitto openssl`,
  );
  process.exit(1);
}
