// Run before the tests (npm's pretest): the pseudo-terminal tests need socat, the MQTT tests
// mosquitto (with mosquitto_passwd) and openssl. Say so plainly instead of letting a dozen tests fail
// with ENOENT.
import { spawnSync } from "node:child_process";

const probe = spawnSync("socat", ["-V"], { stdio: "ignore" });
if (probe.error !== undefined) {
  console.error(
    "The tests need socat (real pseudo-terminals for the serial tests): sudo apt-get install socat",
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
