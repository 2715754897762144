/**
 * Command ids (spec receiver-protocol §3.1): every id a source names, and the two sets that matter
 * for safety — the ids the driver may put on the wire, and the ones a driver must never send.
 *
 * The request and reply formats of the commands the driver uses are in src/receiver/commands.ts;
 * the link checks every request against `SENDABLE_COMMAND_IDS` as a second guard behind that table.
 */

export const COMMAND_ID = {
  Ping: 0x0a,
  ReadFirmwareHeader: 0x0b,
  ReadDatabasePartitionInfo: 0x0f,
  ReadDatabasePageRange: 0x10,
  ReadDatabasePages: 0x11,
  ReadDatabasePageHeader: 0x12,
  ReadTransmitterID: 0x19,
  WriteTransmitterID: 0x1a,
  ReadLanguage: 0x1b,
  WriteLanguage: 0x1c,
  ReadDisplayTimeOffset: 0x1d,
  WriteDisplayTimeOffset: 0x1e,
  ReadRTC: 0x1f,
  ResetReceiver: 0x20,
  ReadBatteryLevel: 0x21,
  ReadSystemTime: 0x22,
  ReadSystemTimeOffset: 0x23,
  WriteSystemTime: 0x24,
  ReadGlucoseUnit: 0x25,
  WriteGlucoseUnit: 0x26,
  ReadBlindedMode: 0x27,
  WriteBlindedMode: 0x28,
  ReadClockMode: 0x29,
  WriteClockMode: 0x2a,
  ReadDeviceMode: 0x2b,
  EraseDatabase: 0x2d,
  ShutdownReceiver: 0x2e,
  WritePCParameters: 0x2f,
  ReadBatteryState: 0x30,
  ReadHardwareBoardId: 0x31,
  EnterFirmwareUpgradeMode: 0x32,
  ReadFlashPage: 0x33,
  WriteFlashPage: 0x34,
  EnterSambaAccessMode: 0x35,
  ReadFirmwareSettings: 0x36,
  ReadEnableSetupWizardFlag: 0x37,
  WriteEnableSetupWizardFlag: 0x38,
  ReadSetupWizardState: 0x39,
  WriteSetupWizardState: 0x3a,
  ReadChargerCurrentSetting: 0x3b,
  WriteChargerCurrentSetting: 0x3c,
} as const;

export type CommandName = keyof typeof COMMAND_ID;

/**
 * The only ids the link puts on the wire: the reads of §3.1 whose reply format is known, and exactly
 * two writes (WriteDisplayTimeOffset, WriteChargerCurrentSetting) that only explicit CLI commands use.
 */
export const SENDABLE_COMMAND_IDS: ReadonlySet<number> = new Set([
  COMMAND_ID.Ping,
  COMMAND_ID.ReadFirmwareHeader,
  COMMAND_ID.ReadDatabasePartitionInfo,
  COMMAND_ID.ReadDatabasePageRange,
  COMMAND_ID.ReadDatabasePages,
  COMMAND_ID.ReadDatabasePageHeader,
  COMMAND_ID.ReadTransmitterID,
  COMMAND_ID.ReadLanguage,
  COMMAND_ID.ReadDisplayTimeOffset,
  COMMAND_ID.WriteDisplayTimeOffset,
  COMMAND_ID.ReadRTC,
  COMMAND_ID.ReadBatteryLevel,
  COMMAND_ID.ReadSystemTime,
  COMMAND_ID.ReadSystemTimeOffset,
  COMMAND_ID.ReadGlucoseUnit,
  COMMAND_ID.ReadBlindedMode,
  COMMAND_ID.ReadClockMode,
  COMMAND_ID.ReadDeviceMode,
  COMMAND_ID.ReadBatteryState,
  COMMAND_ID.ReadFirmwareSettings,
  COMMAND_ID.ReadChargerCurrentSetting,
  COMMAND_ID.WriteChargerCurrentSetting,
]);

/**
 * Commands that change or endanger a real receiver and that the spec marks "never send" or "do not
 * use" (§3.1; Samba access can brick it, §3.1 note on 0x35). Never in `SENDABLE_COMMAND_IDS`; the
 * emulator logs loudly when one arrives.
 */
export const DESTRUCTIVE_COMMAND_IDS: ReadonlySet<number> = new Set([
  COMMAND_ID.ResetReceiver,
  COMMAND_ID.WriteSystemTime,
  COMMAND_ID.EraseDatabase,
  COMMAND_ID.ShutdownReceiver,
  COMMAND_ID.WritePCParameters,
  COMMAND_ID.EnterFirmwareUpgradeMode,
  COMMAND_ID.WriteFlashPage,
  COMMAND_ID.EnterSambaAccessMode,
]);

/** Every id §3.1 names (1–9 are response codes, not commands). */
export const KNOWN_COMMAND_IDS: ReadonlySet<number> = new Set(Object.values(COMMAND_ID));
