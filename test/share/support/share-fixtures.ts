/** Shared set-up for client tests against the Share emulator over loopback HTTP. */

import {
  type ShareEmulator,
  type ShareEmulatorOptions,
  startShareEmulator,
} from "../../../src/emulator/share/index.js";
import { ShareClient, type ShareClientOptions } from "../../../src/share/client.js";
import type { ShareEgv } from "../../../src/share/egv.js";
import { createShareSettings, type ShareSettingsInput } from "../../../src/share/settings.js";

export const USER = "wearer";
export const PASSWORD = "c0rrect-h0rse!";
export const SERIAL = "SM12345678";

export const OP = {
  authenticate: "General/AuthenticatePublisherAccount",
  loginById: "General/LoginPublisherAccountById",
  loginByName: "General/LoginPublisherAccountByName",
  check: "Publisher/CheckMonitoredReceiverAssignmentStatus",
  replace: "Publisher/ReplacePublisherAccountMonitoredReceiver",
  start: "Publisher/StartRemoteMonitoringSession",
  isActive: "Publisher/IsRemoteMonitoringSessionActive",
  post: "Publisher/PostReceiverEgvRecords",
  read: "Publisher/ReadPublisherLatestGlucoseValues",
  list: "Publisher/ListPublisherAccountSubscriptions",
  createContact: "Publisher/CreateContact",
  invite: "Publisher/CreateSubscriptionInvitation",
  deleteContact: "Publisher/DeleteContact",
  runtimeInfo: "Publisher/UpdatePublisherAccountRuntimeInfo",
  time: "General/SystemUtcTime",
} as const;

export async function emulatorWithWearer(options: ShareEmulatorOptions = {}): Promise<ShareEmulator> {
  return startShareEmulator({
    accounts: [{ name: USER, password: PASSWORD, region: "us" }],
    listen: { us: {}, ous: {} },
    ...options,
  });
}

export function clientFor(
  emulator: ShareEmulator,
  settings: Partial<ShareSettingsInput> = {},
  options: Partial<Omit<ShareClientOptions, "settings">> = {},
): ShareClient {
  return new ShareClient({
    settings: createShareSettings({
      server: emulator.url("us"),
      username: USER,
      password: PASSWORD,
      retry: { retries: 0 },
      ...settings,
    }),
    ...options,
  });
}

/** `count` readings 5 minutes apart ending at `endSeconds`, corrected mode (ST = DT = UTC, TA = 0). */
export function readings(count: number, endSeconds: number, start = 100): ShareEgv[] {
  return Array.from({ length: count }, (_, i) => ({
    stSeconds: endSeconds - (count - 1 - i) * 300,
    dtSeconds: endSeconds - (count - 1 - i) * 300,
    taSeconds: 0,
    glucose: start + i,
    trend: 4,
  }));
}

/** The current time in whole seconds. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);
