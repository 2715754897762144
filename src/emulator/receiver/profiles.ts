/**
 * Receiver generations the emulator can be (spec receiver-protocol §1.1, §4.2, §4.8, §5.9, §7.3).
 *
 * What is verified and what is invented is marked per value:
 * - `g4` is the captured G4 Platinum (firmware 2.0.1.104): FirmwareHeader and PartitionInfo are the
 *   device's own documents, byte for byte (§4.8, §4.2; the CAP payload lengths 253 and 1104 hold).
 * - `g4share`: no public FirmwareHeader exists (§9.2). The values below are SYNTHETIC, chosen to look
 *   like a G4-class firmware 3.x (DT treats "3." as G4-class); the cal record is revision 3 / 249
 *   bytes, which EC's history ties to Share receivers (§5.5).
 * - `g5` (G5 Mobile receiver, G4-style hardware with BLE): ApiVersion, TestApiVersion, DexBootVersion,
 *   RFVersion, SoftwareNumber and FirmwareVersion are the publicly reported ones (§4.8); the BLE
 *   attribute values and PortVersion are SYNTHETIC. Record revisions EGV 4 and meter 3 follow §7.3;
 *   cal 3, insertion 2 and settings 5 are a choice: a G5 transmitter id has 6 characters, which only
 *   the insertion rev ≥ 2 and settings rev 5/6 layouts can carry (§5.4, §5.7).
 * - `touchscreen` is a G6 touchscreen receiver (`OrionReceiver`, firmware 5.1.x, §1.1). Orion rather
 *   than Scout because Orion firmware fills the predicted-glucose field of EGV rev 5 (§5.1), so the
 *   emulator exercises more of the layout. Everything but ProductId and FirmwareVersion is SYNTHETIC,
 *   including the whole PartitionInfo document (§7.3: "generate it from the lengths in §5.9").
 */
import { SharebridgeError } from "../../errors.js";
import { partitionName } from "../../wire/record-types.js";

export const PROFILE_IDS = ["g4", "g4share", "g5", "touchscreen"] as const;
export type ProfileId = (typeof PROFILE_IDS)[number];

export interface PartitionSpec {
  readonly id: number;
  /** The PartitionInfo `Name` attribute. */
  readonly name: string;
  readonly revision: number;
  /** Bytes per record including its CRC (§4.4). */
  readonly recordLength: number;
}

export interface Profile {
  readonly id: ProfileId;
  /** FirmwareHeader attributes in document order; `BLEDeviceAddress` is filled per receiver. */
  readonly firmwareHeader: readonly (readonly [string, string])[];
  /** ReadFirmwareSettings payload (§4.8: double quotes and a space before `/>`, unlike the header). */
  readonly firmwareSettingsXml: string;
  readonly partitions: readonly PartitionSpec[];
  /** Highest record type the receiver accepts; above it → INVALID_PARAM (§7.2). */
  readonly maxRecordType: number;
  /** Transmitter id: 5 characters on G4, 6 on G5/G6 (§3.1, §9.2), and the leading character for 6. */
  readonly transmitterIdLength: 5 | 6;
  readonly transmitterIdPrefix: string;
  /** Sensor session length: 7 days (G4, G5), 10 days (G6). */
  readonly sessionDays: number;
  /** Whether a session needs two start-up calibrations and then about two a day (G4/G5), or none (G6). */
  readonly needsCalibration: boolean;
  /** Whether missed readings are backfilled into type 18 (touchscreen only, §4.2). */
  readonly backfill: boolean;
  /** Whether EGVs carry TP's COMPUTED_ON_TRANSMITTER flag 0x4000 (rev ≥ 5, §5.1). */
  readonly computedOnTransmitter: boolean;
  /** Whether insulin events carry the FAST/LONG sub-type (G5/G6 per DT, §5.6). */
  readonly insulinSubtypes: boolean;
  /** ManufacturingParameters values (§4.8); G4's are the observed ones, the others SYNTHETIC. */
  readonly hardwarePartNumber: string;
  readonly hardwareRevision: string;
}

/** A partition of `id` under its PartitionInfo name (§4.2). */
function partition(id: number, revision: number, recordLength: number): PartitionSpec {
  return { id, name: partitionName(id) ?? `Partition${id}`, revision, recordLength };
}

/** The G4 partition table exactly as the captured receiver reports it (§4.2, CAP). */
const G4_PARTITIONS: readonly PartitionSpec[] = [
  partition(0, 1, 500),
  partition(1, 1, 500),
  partition(2, 1, 500),
  partition(3, 1, 20),
  partition(4, 2, 13),
  partition(5, 2, 148),
  partition(6, 1, 15),
  partition(7, 1, 15),
  partition(8, 1, 20),
  partition(9, 1, 500),
  partition(10, 1, 16),
  partition(11, 1, 20),
  partition(12, 3, 48),
];

function withChanges(
  base: readonly PartitionSpec[],
  changes: Readonly<Record<number, Pick<PartitionSpec, "revision" | "recordLength">>>,
  extra: readonly PartitionSpec[] = [],
): readonly PartitionSpec[] {
  return [...base.map((p) => ({ ...p, ...(changes[p.id] ?? {}) })), ...extra];
}

const G4_HEADER: readonly (readonly [string, string])[] = [
  ["SchemaVersion", "1"],
  ["ApiVersion", "2.2.0.0"],
  ["TestApiVersion", "2.4.0.0"],
  ["ProductId", "G4Receiver"],
  ["ProductName", "Dexcom G4 Receiver"],
  ["SoftwareNumber", "SW10050"],
  ["FirmwareVersion", "2.0.1.104"],
  ["PortVersion", "4.6.4.45"],
  ["RFVersion", "1.0.0.27"],
  ["DexBootVersion", "3"],
];

const G4_FIRMWARE_SETTINGS = '<FirmwareSettings FirmwareImageId="" />';

const G4: Profile = {
  id: "g4",
  firmwareHeader: G4_HEADER,
  firmwareSettingsXml: G4_FIRMWARE_SETTINGS,
  partitions: G4_PARTITIONS,
  maxRecordType: 12,
  transmitterIdLength: 5,
  transmitterIdPrefix: "",
  sessionDays: 7,
  needsCalibration: true,
  backfill: false,
  computedOnTransmitter: false,
  insulinSubtypes: false,
  hardwarePartNumber: "MT20649",
  hardwareRevision: "23",
};

/** Layouts every G5/G6 receiver has (§5.9, §7.3): cal rev 3, insertion rev 2, meter rev 3. */
const G5_CLASS_CHANGES = {
  5: { revision: 3, recordLength: 249 },
  7: { revision: 2, recordLength: 25 },
  10: { revision: 3, recordLength: 21 },
} as const;

/** G4-class hardware with BLE: what G4 Share and G5 Mobile receivers add to the firmware header. */
const ble = (software: string, hardware: string): readonly (readonly [string, string])[] => [
  ["BLESoftwareVersion", software],
  ["BLEHardwareVersion", hardware],
  ["BLEDeviceAddress", ""],
];

export const PROFILES: Readonly<Record<ProfileId, Profile>> = {
  g4: G4,
  g4share: {
    ...G4,
    id: "g4share",
    // SYNTHETIC values (§9.2: the G4-with-Share header is not public).
    firmwareHeader: [
      ["SchemaVersion", "1"],
      ["ApiVersion", "2.4.0.0"],
      ["TestApiVersion", "2.6.0.0"],
      ["ProductId", "G4Receiver"],
      ["ProductName", "Dexcom G4 Receiver"],
      ["SoftwareNumber", "SW10560"],
      ["FirmwareVersion", "3.0.1.018"],
      ["PortVersion", "4.6.4.45"],
      ["RFVersion", "1.0.0.27"],
      ["DexBootVersion", "3"],
      ...ble("1.0.0.4", "1"),
    ],
    partitions: withChanges(G4_PARTITIONS, { 5: { revision: 3, recordLength: 249 } }),
    hardwarePartNumber: "MT22719", // SYNTHETIC
    hardwareRevision: "11",
  },
  g5: {
    ...G4,
    id: "g5",
    firmwareHeader: [
      ["SchemaVersion", "1"],
      ["ApiVersion", "3.0.0.0"],
      ["TestApiVersion", "2.10.0.0"],
      ["ProductId", "G5MobileReceiver"],
      ["ProductName", "Dexcom G5 Mobile Receiver"],
      ["SoftwareNumber", "SW10617"],
      ["FirmwareVersion", "4.0.1.048"],
      ["PortVersion", "4.6.4.45"], // SYNTHETIC
      ["RFVersion", "1"],
      ["DexBootVersion", "5"],
      ...ble("1.0.0.10", "2"), // SYNTHETIC
    ],
    partitions: withChanges(G4_PARTITIONS, {
      ...G5_CLASS_CHANGES,
      4: { revision: 4, recordLength: 23 },
      12: { revision: 5, recordLength: 50 },
    }),
    transmitterIdLength: 6,
    transmitterIdPrefix: "4",
    insulinSubtypes: true,
    hardwarePartNumber: "MT24015", // SYNTHETIC
    hardwareRevision: "3",
  },
  touchscreen: {
    ...G4,
    id: "touchscreen",
    // SYNTHETIC apart from ProductId and FirmwareVersion (§1.1).
    firmwareHeader: [
      ["SchemaVersion", "1"],
      ["ApiVersion", "3.2.0.0"],
      ["TestApiVersion", "2.12.0.0"],
      ["ProductId", "OrionReceiver"],
      ["ProductName", "Dexcom G6 Receiver"],
      ["SoftwareNumber", "SW11038"],
      ["FirmwareVersion", "5.1.1.022"],
      ["PortVersion", "5.1.0.7"],
      ["RFVersion", "1"],
      ["DexBootVersion", "7"],
      ...ble("2.1.0.5", "3"),
    ],
    // SYNTHETIC PartitionInfo (§7.3): ids 0–12 with the touchscreen lengths of §5.9, plus the
    // backfill partition 18 with the EGV rev 5 layout (§4.2). Sensor, events and the unknown
    // layouts keep their G4 revisions: nothing public says otherwise (§9.2).
    partitions: withChanges(
      G4_PARTITIONS,
      {
        ...G5_CLASS_CHANGES,
        4: { revision: 5, recordLength: 25 },
        12: { revision: 6, recordLength: 60 },
      },
      [partition(18, 5, 25)],
    ),
    maxRecordType: 18,
    transmitterIdLength: 6,
    transmitterIdPrefix: "8",
    sessionDays: 10,
    needsCalibration: false,
    backfill: true,
    computedOnTransmitter: true,
    insulinSubtypes: true,
    hardwarePartNumber: "MT25233", // SYNTHETIC
    hardwareRevision: "5",
  },
};

export function getProfile(id: string): Profile {
  if (!(PROFILE_IDS as readonly string[]).includes(id)) {
    throw new SharebridgeError("CONFIG_INVALID", `unknown receiver profile "${id}"`, {
      profile: id,
      allowed: PROFILE_IDS,
    });
  }
  return PROFILES[id as ProfileId];
}

export function partitionSpec(profile: Profile, recordType: number): PartitionSpec | undefined {
  return profile.partitions.find((p) => p.id === recordType);
}

/**
 * The PartitionInfo document (§4.2): single quotes, no whitespace between elements, partitions in id
 * order. For `g4` this reproduces the captured 1104-byte payload exactly.
 */
export function partitionInfoXml(profile: Profile): string {
  const children = profile.partitions
    .map(
      (p) =>
        `<Partition Name='${p.name}' Id='${p.id}' RecordRevision='${p.revision}' RecordLength='${p.recordLength}'/>`,
    )
    .join("");
  return `<PartitionInfo SchemaVersion='1' PageHeaderVersion='1' PageDataLength='500'>${children}</PartitionInfo>`;
}

/**
 * The FirmwareHeader document (§4.8): one line, single quotes, single spaces, no space before `/>`.
 * `bleDeviceAddress` fills the attribute of that name where the profile has one.
 */
export function firmwareHeaderXml(profile: Profile, bleDeviceAddress: string): string {
  const attributes = profile.firmwareHeader
    .map(([key, value]) => `${key}='${key === "BLEDeviceAddress" ? bleDeviceAddress : value}'`)
    .join(" ");
  return `<FirmwareHeader ${attributes}/>`;
}
