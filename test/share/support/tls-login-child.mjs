// Child process for the TLS test: one Share login with the built client (dist/) against the URL in
// argv[2], with the password from the environment. Prints the outcome as one JSON line.
import { ShareClient } from "../../../dist/share/client.js";
import { createShareSettings } from "../../../dist/share/settings.js";

const client = new ShareClient({
  settings: createShareSettings({
    server: process.argv[2],
    username: "wearer",
    password: process.env.TEST_SHARE_PASSWORD,
    retry: { retries: 0 },
    requestDeadlineMs: 10_000,
  }),
});
try {
  await client.login();
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: error.code, cause: error.context?.cause })}\n`);
} finally {
  await client.close();
}
