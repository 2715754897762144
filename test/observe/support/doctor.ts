/** Running one doctor check, or all of them, against a fake environment. */
import type { Config } from "../../../src/config/schema.js";
import { silentLogger } from "../../../src/log.js";
import type {
  Check,
  CheckOutcome,
  DoctorEnvironment,
  DoctorFacts,
} from "../../../src/observe/doctor/types.js";

export function testConfig(
  change: Partial<Omit<Config, "share">> & { share?: Partial<Config["share"]> } = {},
): Config {
  const { share, ...rest } = change;
  return {
    device: "auto",
    stateDir: "/nonexistent/state",
    readingIntervalSeconds: 300,
    backfillHours: 24,
    clock: { mode: "corrected", assumeSynchronized: false },
    display: { units: "mg/dL" },
    archive: { retentionDays: 90 },
    alerts: { format: "ntfy", afterMinutes: 20 },
    http: { listen: null },
    receiver: {},
    mqtt: { topicPrefix: "sharebridge", discoveryPrefix: "homeassistant" },
    log: { level: "info" },
    ...rest,
    share: {
      region: undefined,
      server: undefined,
      username: undefined,
      passwordFile: undefined,
      replaceReceiver: "auto",
      requestDeadlineSeconds: 60,
      ...share,
    },
  };
}

export async function runCheck(
  check: Check,
  config: Config,
  env: DoctorEnvironment,
  facts: DoctorFacts = {},
): Promise<CheckOutcome> {
  return check.run({ config, env, facts, log: silentLogger, signal: new AbortController().signal });
}
