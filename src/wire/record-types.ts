/**
 * Record types — the database partitions (spec receiver-protocol §4.2) — in one table: the id, the
 * name peers use, the name PartitionInfo gives the partition (§4.2; touchscreen names are not public
 * and are marked synthetic) and the `--type` name on the command line. Receiver commands, the
 * record decoders, the emulator and the CLI all take ids and names from here.
 */

const TABLE = [
  { id: 0, name: "MANUFACTURING_DATA", partition: "ManufacturingData", option: "manufacturing" },
  { id: 1, name: "FIRMWARE_PARAMETER_DATA", partition: "FirmwareParameterData", option: "firmware" },
  { id: 2, name: "PC_SOFTWARE_PARAMETER", partition: "PCSoftwareParameter", option: "pc" },
  { id: 3, name: "SENSOR_DATA", partition: "SensorData", option: "sensor" },
  { id: 4, name: "EGV_DATA", partition: "EGVData", option: "egv" },
  { id: 5, name: "CAL_SET", partition: "CalSet", option: "cal" },
  { id: 6, name: "DEVIATION", partition: "Aberration", option: null },
  { id: 7, name: "INSERTION_TIME", partition: "InsertionTime", option: "insertion" },
  { id: 8, name: "RECEIVER_LOG_DATA", partition: "ReceiverLogData", option: null },
  { id: 9, name: "RECEIVER_ERROR_DATA", partition: "ReceiverErrorData", option: null },
  { id: 10, name: "METER_DATA", partition: "MeterData", option: "meter" },
  { id: 11, name: "USER_EVENT_DATA", partition: "UserEventData", option: "events" },
  { id: 12, name: "USER_SETTING_DATA", partition: "UserSettingData", option: "settings" },
  // Touchscreen receivers only (DP lists 13–17; no layout is known, §9.2). Partition names SYNTHETIC.
  { id: 13, name: "SESSION_COMMAND_DATA", partition: "SessionCommandData", option: null },
  { id: 14, name: "TRANSMITTER_INFO_DATA", partition: "TransmitterInfoData", option: null },
  { id: 16, name: "TRANSMITTER_PRIVATE_DATA", partition: "TransmitterPrivateData", option: null },
  { id: 17, name: "TRANSMITTER_MANIFEST", partition: "TransmitterManifest", option: null },
  // Same layout as EGV_DATA of the same revision (§5.1). Partition name SYNTHETIC.
  { id: 18, name: "BACKFILLED_EGV_DATA", partition: "BackfilledEGVData", option: "backfill" },
] as const;

type Row = (typeof TABLE)[number];

/** Every row of the table, in id order. */
export const RECORD_TYPE_TABLE: readonly Row[] = TABLE;

export type RecordTypeName = Row["name"];
export type RecordTypeId = Row["id"];
/** The names `--type` accepts. */
export type RecordTypeOption = NonNullable<Row["option"]>;

/** Partition ids by name: `RECORD_TYPE.EGV_DATA` is 4. */
export const RECORD_TYPE = Object.fromEntries(TABLE.map((row) => [row.name, row.id])) as {
  readonly [R in Row as R["name"]]: R["id"];
};

/** Partition ids by `--type` name: `RECORD_TYPE_OPTIONS.egv` is 4. */
export const RECORD_TYPE_OPTIONS = Object.fromEntries(
  TABLE.flatMap((row) => (row.option === null ? [] : [[row.option, row.id]])),
) as { readonly [R in Row as R["option"] extends string ? R["option"] : never]: R["id"] };

const BY_ID: ReadonlyMap<number, Row> = new Map(TABLE.map((row) => [row.id, row]));

/** The name of a partition id, or `TYPE_<n>` for an id the spec does not name. */
export function recordTypeName(recordType: number): string {
  return BY_ID.get(recordType)?.name ?? `TYPE_${recordType}`;
}

/** The PartitionInfo name of a partition id (§4.2), or undefined for an id the spec does not name. */
export function partitionName(recordType: number): string | undefined {
  return BY_ID.get(recordType)?.partition;
}
