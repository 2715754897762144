// A hostile receiver in its own process, for end-to-end runs against tcp://127.0.0.1:PORT
// (src/emulator/receiver/hostile.ts; needs `npm run build`):
//
//   node test/support/hostile-receiver.mjs MODE [--profile g4] [--seed 1] [--days 30] [--realistic]
//        [--flood-bytes N] [--reply-delay-ms MS] [--honest-connections N] [--port 0]
//
// --realistic adds a real receiver's reply delays (12–220 ms); --reply-delay-ms holds every reply MS
// longer, so that a command is still waiting on the receiver when a test signals it;
// --honest-connections N serves the first N connections unchanged (a first sync leaves a cursor).
//
// Prints "listening tcp://127.0.0.1:PORT" once ready; SIGTERM or SIGINT stops it (exit 0).
import { parseArgs } from "node:util";
import { startHostileReceiver } from "../../dist/emulator/receiver/hostile.js";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    profile: { type: "string", default: "g4" },
    seed: { type: "string", default: "1" },
    days: { type: "string", default: "30" },
    realistic: { type: "boolean", default: false },
    "flood-bytes": { type: "string" },
    "reply-delay-ms": { type: "string", default: "0" },
    "honest-connections": { type: "string", default: "0" },
    port: { type: "string", default: "0" },
  },
});
const receiver = await startHostileReceiver({
  mode: positionals[0] ?? "",
  port: Number(values.port),
  floodBytes: values["flood-bytes"] === undefined ? undefined : Number(values["flood-bytes"]),
  replyDelayMs: Number(values["reply-delay-ms"]),
  honestConnections: Number(values["honest-connections"]),
  emulator: {
    profile: values.profile,
    seed: Number(values.seed),
    days: Number(values.days),
    realistic: values.realistic,
  },
});
process.stdout.write(`listening ${receiver.device}\n`);
const stop = () => void receiver.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
