/**
 * The wire module's tables against the spec: response codes (receiver-protocol §2.5), command ids
 * (§3.1) and record types (§4.2).
 */
import { describe, expect, it } from "vitest";
import {
  COMMAND_ID,
  DESTRUCTIVE_COMMAND_IDS,
  KNOWN_COMMAND_IDS,
  SENDABLE_COMMAND_IDS,
} from "../../src/wire/command-ids.js";
import {
  partitionName,
  RECORD_TYPE,
  RECORD_TYPE_OPTIONS,
  RECORD_TYPE_TABLE,
  recordTypeName,
} from "../../src/wire/record-types.js";
import { ACK, RESPONSE_CODE, responseCodeName } from "../../src/wire/response-codes.js";

describe("response codes (§2.5)", () => {
  it("names every response code", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 9].map(responseCodeName)).toEqual([
      "NULL",
      "ACK",
      "NAK",
      "INVALID_COMMAND",
      "INVALID_PARAM",
      "INCOMPLETE_PACKET_RECEIVED",
      "RECEIVER_ERROR",
      "INVALID_MODE",
      "UNKNOWN_9",
    ]);
    expect(ACK).toBe(1);
    expect(RESPONSE_CODE.INVALID_PARAM).toBe(4);
  });
});

describe("command ids (§3.1)", () => {
  it("has the spec's ids, none of them a response code", () => {
    expect(COMMAND_ID.Ping).toBe(0x0a);
    expect(COMMAND_ID.ReadDatabasePages).toBe(0x11);
    expect(COMMAND_ID.EnterSambaAccessMode).toBe(0x35);
    expect(COMMAND_ID.WriteChargerCurrentSetting).toBe(0x3c);
    expect(KNOWN_COMMAND_IDS.size).toBe(41);
    expect([...KNOWN_COMMAND_IDS].filter((id) => id < 10)).toEqual([]);
  });

  it("never lets a destructive command be sendable", () => {
    expect([...DESTRUCTIVE_COMMAND_IDS].sort((a, b) => a - b)).toEqual([
      0x20, 0x24, 0x2d, 0x2e, 0x2f, 0x32, 0x34, 0x35,
    ]);
    expect([...DESTRUCTIVE_COMMAND_IDS].filter((id) => SENDABLE_COMMAND_IDS.has(id))).toEqual([]);
    expect([...SENDABLE_COMMAND_IDS].filter((id) => !KNOWN_COMMAND_IDS.has(id))).toEqual([]);
  });
});

describe("record types (§4.2)", () => {
  it("has the spec's ids and PartitionInfo names", () => {
    expect(RECORD_TYPE_TABLE.map((row) => [row.id, row.name])).toEqual([
      [0, "MANUFACTURING_DATA"],
      [1, "FIRMWARE_PARAMETER_DATA"],
      [2, "PC_SOFTWARE_PARAMETER"],
      [3, "SENSOR_DATA"],
      [4, "EGV_DATA"],
      [5, "CAL_SET"],
      [6, "DEVIATION"],
      [7, "INSERTION_TIME"],
      [8, "RECEIVER_LOG_DATA"],
      [9, "RECEIVER_ERROR_DATA"],
      [10, "METER_DATA"],
      [11, "USER_EVENT_DATA"],
      [12, "USER_SETTING_DATA"],
      [13, "SESSION_COMMAND_DATA"],
      [14, "TRANSMITTER_INFO_DATA"],
      [16, "TRANSMITTER_PRIVATE_DATA"],
      [17, "TRANSMITTER_MANIFEST"],
      [18, "BACKFILLED_EGV_DATA"],
    ]);
    expect(RECORD_TYPE.EGV_DATA).toBe(4);
    expect(RECORD_TYPE.BACKFILLED_EGV_DATA).toBe(18);
    // The G4 capture's PartitionInfo names (§4.2).
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(partitionName)).toEqual([
      "ManufacturingData",
      "FirmwareParameterData",
      "PCSoftwareParameter",
      "SensorData",
      "EGVData",
      "CalSet",
      "Aberration",
      "InsertionTime",
      "ReceiverLogData",
      "ReceiverErrorData",
      "MeterData",
      "UserEventData",
      "UserSettingData",
    ]);
  });

  it("names unknown ids by number, and maps the command-line names", () => {
    expect(recordTypeName(4)).toBe("EGV_DATA");
    expect(recordTypeName(15)).toBe("TYPE_15");
    expect(partitionName(15)).toBeUndefined();
    expect(RECORD_TYPE_OPTIONS).toEqual({
      manufacturing: 0,
      firmware: 1,
      pc: 2,
      sensor: 3,
      egv: 4,
      cal: 5,
      insertion: 7,
      meter: 10,
      events: 11,
      settings: 12,
      backfill: 18,
    });
  });
});
