/** Read answers and follower lists from outside: tolerant, and nothing but typed errors escape. */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { isSharebridgeError } from "../../src/errors.js";
import { parseFollowers } from "../../src/share/followers.js";
import { parseReadings } from "../../src/share/readings.js";

describe("parseReadings", () => {
  it("reads the 2025 capture and the 2015 gist element (share-api §7.2)", () => {
    const { readings, skipped } = parseReadings([
      {
        WT: "Date(1745081013817)",
        ST: "Date(1745081013817)",
        DT: "Date(1745081013817-0400)",
        Value: 224,
        Trend: "Flat",
      },
      {
        DT: "/Date(1426780716000-0700)/",
        ST: "/Date(1426784306000)/",
        Trend: 4,
        Value: 99,
        WT: "/Date(1426769941000)/",
      },
    ]);
    expect(skipped).toBe(0);
    expect(readings).toEqual([
      {
        wtMs: 1745081013817,
        stMs: 1745081013817,
        dtMs: 1745081013817,
        dtOffsetMinutes: -240,
        glucose: 224,
        trend: 4,
        trendName: "Flat",
      },
      {
        wtMs: 1426769941000,
        stMs: 1426784306000,
        dtMs: 1426780716000,
        dtOffsetMinutes: -420,
        glucose: 99,
        trend: 4,
        trendName: "Flat",
      },
    ]);
  });

  it("sorts newest first even when the server does not", () => {
    const { readings } = parseReadings([
      { WT: "Date(1000)", Value: 1 },
      { WT: "Date(3000)", Value: 3 },
      { WT: "Date(2000)", Value: 2 },
    ]);
    expect(readings.map((r) => r.glucose)).toEqual([3, 2, 1]);
  });

  test.prop([fc.jsonValue({ maxDepth: 4 })])("throws nothing but SHARE_PROTOCOL on any JSON", (value) => {
    try {
      const { readings, skipped } = parseReadings(value);
      expect(readings.length + skipped).toBe(Array.isArray(value) ? value.length : -1);
    } catch (error) {
      expect(isSharebridgeError(error, "SHARE_PROTOCOL")).toBe(true);
    }
  });
});

describe("parseFollowers", () => {
  it("reads the documented element (share-api §8.2) and cleans names for the terminal", () => {
    const followers = parseFollowers([
      {
        ContactId: "7B8C9D0E-1111-4222-8333-444455556666",
        ContactName: "Mum\u001b[31m",
        DateTimeCreated: { DateTime: "/Date(1426780000000)/", OffsetMinutes: 0 },
        DateTimeModified: { DateTime: "/Date(1426780000000)/", OffsetMinutes: 0 },
        DisplayName: "Sam",
        InviteExpires: { DateTime: "/Date(1427384800000)/", OffsetMinutes: 0 },
        IsEnabled: true,
        IsMonitoringSessionActive: true,
        Permissions: 1,
        State: 6,
        SubscriberId: "12345678-1111-4222-8333-444455556666",
        SubscriptionId: "87654321-1111-4222-8333-444455556666",
      },
      { ContactId: "not-a-uuid" },
    ]);
    expect(followers).toEqual([
      {
        contactId: "7b8c9d0e-1111-4222-8333-444455556666",
        contactName: "Mum[31m",
        displayName: "Sam",
        state: 6,
        stateName: "Active",
        subscriptionId: "87654321-1111-4222-8333-444455556666",
        accepted: true,
        isEnabled: true,
        permissions: 1,
        createdMs: 1426780000000,
        inviteExpiresMs: 1427384800000,
      },
    ]);
  });

  test.prop([fc.jsonValue({ maxDepth: 4 })])("throws nothing but SHARE_PROTOCOL on any JSON", (value) => {
    try {
      parseFollowers(value);
    } catch (error) {
      expect(isSharebridgeError(error, "SHARE_PROTOCOL")).toBe(true);
    }
  });
});
