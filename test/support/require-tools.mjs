// Run before the tests (npm's pretest): the pseudo-terminal tests need socat. Say so plainly instead
// of letting a dozen tests fail with ENOENT.
import { spawnSync } from "node:child_process";

const probe = spawnSync("socat", ["-V"], { stdio: "ignore" });
if (probe.error !== undefined) {
  console.error(
    "The tests need socat (real pseudo-terminals for the serial tests): sudo apt-get install socat",
  );
  process.exit(1);
}
