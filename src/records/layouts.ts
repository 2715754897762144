/**
 * Layout selection (spec receiver-protocol §5.9): which decoder and record length a page uses.
 *
 * Step 1: PartitionInfo advertises each partition's current (RecordRevision, RecordLength); that is
 * the firmware's own statement of how to slice its pages. Step 2: the page header's revision picks
 * the field layout from the table below, and the two are cross-checked. Nothing is guessed: a
 * revision the table does not list, or a length that contradicts PartitionInfo, is reported with the
 * raw bytes by the page decoder.
 */

import {
  CAL_SET_LONG_LENGTH,
  CAL_SET_SHORT_LENGTH,
  decodeCalSetLong,
  decodeCalSetShort,
} from "./decoders/cal-set.js";
import type { RecordDecoder } from "./decoders/decoder.js";
import {
  decodeEgvG4,
  decodeEgvRev4,
  decodeEgvRev5,
  EGV_G4_LENGTH,
  EGV_REV4_LENGTH,
  EGV_REV5_LENGTH,
} from "./decoders/egv.js";
import {
  decodeInsertionG4,
  decodeInsertionRev2,
  INSERTION_G4_LENGTH,
  INSERTION_REV2_LENGTH,
} from "./decoders/insertion.js";
import { decodeMeterG4, decodeMeterRev3, METER_G4_LENGTH, METER_REV3_LENGTH } from "./decoders/meter.js";
import { decodeSensor, SENSOR_LENGTH } from "./decoders/sensor.js";
import { decodeUserEvent, USER_EVENT_LENGTH } from "./decoders/user-event.js";
import {
  decodeUserSettingG4,
  decodeUserSettingRev5,
  decodeUserSettingRev6,
  USER_SETTING_G4_LENGTH,
  USER_SETTING_REV5_LENGTH,
  USER_SETTING_REV6_LENGTH,
} from "./decoders/user-setting.js";
import { decodeXmlRecord, XML_RECORD_LENGTH } from "./decoders/xml.js";
import type { DexcomRecord } from "./record-types.js";

export interface Layout {
  /** Stable name, e.g. "egv-g4" (shown in reports and exports). */
  readonly name: string;
  /** Record length including the CRC. */
  readonly length: number;
  readonly decode: RecordDecoder<DexcomRecord>;
}

const layout = (name: string, length: number, decode: RecordDecoder<DexcomRecord>): Layout => ({
  name,
  length,
  decode,
});

export const LAYOUTS = {
  egvG4: layout("egv-g4", EGV_G4_LENGTH, decodeEgvG4),
  egvRev4: layout("egv-rev4", EGV_REV4_LENGTH, decodeEgvRev4),
  egvRev5: layout("egv-rev5", EGV_REV5_LENGTH, decodeEgvRev5),
  sensor: layout("sensor", SENSOR_LENGTH, decodeSensor),
  meterG4: layout("meter-g4", METER_G4_LENGTH, decodeMeterG4),
  meterRev3: layout("meter-rev3", METER_REV3_LENGTH, decodeMeterRev3),
  insertionG4: layout("insertion-g4", INSERTION_G4_LENGTH, decodeInsertionG4),
  insertionRev2: layout("insertion-rev2", INSERTION_REV2_LENGTH, decodeInsertionRev2),
  calSetShort: layout("cal-set-148", CAL_SET_SHORT_LENGTH, decodeCalSetShort),
  calSetLong: layout("cal-set-249", CAL_SET_LONG_LENGTH, decodeCalSetLong),
  userEvent: layout("user-event", USER_EVENT_LENGTH, decodeUserEvent),
  userSettingG4: layout("user-setting-48", USER_SETTING_G4_LENGTH, decodeUserSettingG4),
  userSettingRev5: layout("user-setting-50", USER_SETTING_REV5_LENGTH, decodeUserSettingRev5),
  userSettingRev6: layout("user-setting-60", USER_SETTING_REV6_LENGTH, decodeUserSettingRev6),
  xml: layout("xml", XML_RECORD_LENGTH, decodeXmlRecord),
} as const;

interface Rule {
  readonly types: readonly number[];
  /** Inclusive revision range. */
  readonly from: number;
  readonly to: number;
  readonly layout: Layout;
}

const MAX_REVISION = 0xff;

/**
 * The §5.9 table, row by row. Open-ended rows (insertion ≥ 2, settings "any other non-5/6") are kept
 * as the spec writes them; the PartitionInfo length check is their guard against a future layout.
 * Types 6, 8, 9 and 13–17 have no known layout beyond the common prefix (§5.8, §9.2): their records
 * are reported, not decoded.
 */
const RULES: readonly Rule[] = [
  { types: [4, 18], from: 1, to: 3, layout: LAYOUTS.egvG4 },
  { types: [4, 18], from: 4, to: 4, layout: LAYOUTS.egvRev4 },
  { types: [4, 18], from: 5, to: 5, layout: LAYOUTS.egvRev5 },
  { types: [10], from: 1, to: 2, layout: LAYOUTS.meterG4 },
  { types: [10], from: 3, to: 3, layout: LAYOUTS.meterRev3 },
  { types: [7], from: 1, to: 1, layout: LAYOUTS.insertionG4 },
  { types: [7], from: 2, to: MAX_REVISION, layout: LAYOUTS.insertionRev2 },
  // ≤ 2 → 148, as EC/AU/XD and the fixtures show; DR's "< 2" is a known bug (§9.1).
  { types: [5], from: 0, to: 2, layout: LAYOUTS.calSetShort },
  { types: [5], from: 3, to: 3, layout: LAYOUTS.calSetLong },
  { types: [12], from: 0, to: 4, layout: LAYOUTS.userSettingG4 },
  { types: [12], from: 5, to: 5, layout: LAYOUTS.userSettingRev5 },
  { types: [12], from: 6, to: 6, layout: LAYOUTS.userSettingRev6 },
  { types: [12], from: 7, to: MAX_REVISION, layout: LAYOUTS.userSettingG4 },
  { types: [3], from: 1, to: 1, layout: LAYOUTS.sensor },
  { types: [11], from: 1, to: 1, layout: LAYOUTS.userEvent },
  // Any revision: the manufacturing record must be readable on every receiver (spec §10 #3).
  { types: [0, 1, 2], from: 0, to: MAX_REVISION, layout: LAYOUTS.xml },
];

/** (type << 8 | revision) → layout, built once from RULES. */
const BY_TYPE_AND_REVISION = new Map<number, Layout>();
for (const rule of RULES) {
  for (const type of rule.types) {
    for (let revision = rule.from; revision <= rule.to; revision++) {
      BY_TYPE_AND_REVISION.set((type << 8) | revision, rule.layout);
    }
  }
}

/** The §5.9 layout for a page revision, or undefined when the spec has none. */
export function layoutForRevision(recordType: number, revision: number): Layout | undefined {
  return BY_TYPE_AND_REVISION.get(((recordType & 0xff) << 8) | (revision & 0xff));
}

/** What PartitionInfo says about a partition (a `PartitionEntry` from the command layer fits). */
export interface AdvertisedPartition {
  readonly revision: number;
  readonly recordLength: number;
}

export type LayoutChoice =
  | { readonly ok: true; readonly layout: Layout }
  | {
      readonly ok: false;
      readonly reason: string;
      /** A length to slice the raw records by for the report, when one is trustworthy. */
      readonly sliceLength: number | undefined;
    };

/**
 * Chooses the layout of a page from its header revision and, when known, the partition's
 * advertised (revision, length):
 *
 * - the revision's layout exists and its length equals the advertised one → that layout;
 * - it exists, the page revision differs from the partition's current revision (an older page) →
 *   the revision's own layout (the advertised length describes the other revision); record CRCs
 *   still check every slice;
 * - it exists but contradicts the advertised length for the same revision → refused;
 * - no layout for the revision → refused; the advertised length slices the raw bytes when it
 *   applies to this revision.
 */
export function chooseLayout(
  recordType: number,
  revision: number,
  advertised: AdvertisedPartition | undefined,
): LayoutChoice {
  const known = layoutForRevision(recordType, revision);
  const sameRevision = advertised !== undefined && advertised.revision === revision;
  if (known === undefined) {
    return {
      ok: false,
      reason: `no known layout for record type ${recordType} revision ${revision}`,
      sliceLength: sameRevision ? advertised.recordLength : undefined,
    };
  }
  if (sameRevision && advertised.recordLength !== known.length) {
    return {
      ok: false,
      reason:
        `revision ${revision} means ${known.length}-byte records but PartitionInfo advertises ` +
        `${advertised.recordLength}`,
      sliceLength: advertised.recordLength,
    };
  }
  return { ok: true, layout: known };
}
