/**
 * Who the emulated receiver is: serial number, transmitter id, the GUIDs of its XML records and its
 * BLE address, all derived from the seed (or given), plus the XML documents of record types 0–2
 * (spec receiver-protocol §3.4, §4.8, §5.8).
 */
import { SharebridgeError } from "../../errors.js";
import { isReceiverSerial } from "../../records/serial.js";
import { toHex } from "../../util/hex.js";
import { formatDateTimeCreated } from "./clock.js";
import type { Prng } from "./prng.js";
import type { Profile } from "./profiles.js";
import { G4_TRANSMITTER_ID_ALPHABET, XML_TEXT_LENGTH } from "./record-encoders.js";

export interface ReceiverIdentity {
  /** "SM" and eight digits when generated (§3.4); any usable serial when configured. */
  readonly serial: string;
  /** 5 characters (G4) or 6 (G5/G6). */
  readonly transmitterId: string;
  /** ManufacturingParameters HardwareId (§4.8). */
  readonly hardwareId: string;
  /** PCParameterRecord ReceiverId (§4.8). */
  readonly receiverId: string;
  readonly bleDeviceAddress: string;
  /** Four-digit G6 sensor code for settings rev 6. */
  readonly sensorCode: string;
}

/** Checks a configured serial with the one receiver-serial rule (records/serial.ts). */
export function checkSerial(serial: string): string {
  if (!isReceiverSerial(serial)) {
    throw new SharebridgeError("CONFIG_INVALID", "serial must be 1 to 32 letters, digits or hyphens", {
      serial: String(serial).slice(0, 40),
    });
  }
  return serial;
}

/** `count` random bytes, each drawn as two hex digits, high digit first. */
function randomBytes(r: Prng, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, () => (r.int(0, 15) << 4) | r.int(0, 15));
}

function guid(r: Prng): string {
  const part = (count: number) => toHex(randomBytes(r, count), "");
  return `{${part(4)}-${part(2)}-${part(2)}-${part(2)}-${part(6)}}`;
}

/** Checks a transmitter id against the profile: 5 symbols of the G4 alphabet, or 6 letters/digits. */
export function checkTransmitterId(profile: Profile, id: string): string {
  const ok =
    profile.transmitterIdLength === 5
      ? id.length === 5 && [...id].every((c) => G4_TRANSMITTER_ID_ALPHABET.includes(c))
      : /^[0-9A-Z]{6}$/.test(id);
  if (!ok) {
    throw new SharebridgeError(
      "CONFIG_INVALID",
      profile.transmitterIdLength === 5
        ? "a G4 transmitter id is 5 characters from 0-9 and A-Y without I, O, V"
        : "a G5/G6 transmitter id is 6 upper-case letters or digits",
      { transmitterId: id, profile: profile.id },
    );
  }
  return id;
}

export function createIdentity(
  profile: Profile,
  prng: Prng,
  serial?: string,
  transmitterIdOverride?: string,
): ReceiverIdentity {
  const r = prng.fork("identity");
  const generatedSerial = `SM${String(r.int(10_000_000, 99_999_999))}`;
  let transmitterId = profile.transmitterIdPrefix;
  while (transmitterId.length < profile.transmitterIdLength)
    transmitterId += r.pick([...G4_TRANSMITTER_ID_ALPHABET]);
  const bleBytes = randomBytes(r, 6);
  return {
    serial: serial === undefined ? generatedSerial : checkSerial(serial),
    transmitterId:
      transmitterIdOverride === undefined
        ? transmitterId
        : checkTransmitterId(profile, transmitterIdOverride),
    hardwareId: guid(r),
    receiverId: guid(r),
    bleDeviceAddress: toHex(bleBytes, ":"),
    sensorCode: String(r.int(0, 9999)).padStart(4, "0"),
  };
}

function checkXmlLength(xml: string): string {
  if (xml.length > XML_TEXT_LENGTH) {
    throw new SharebridgeError("INTERNAL", "XML record text longer than 490 bytes", { length: xml.length });
  }
  return xml;
}

/**
 * ManufacturingParameters (§4.8): attributes in the observed order, double quotes, ` />`.
 * `DateTimeCreated` is the factory's local time; the factory zone is UTC−8 as in both public
 * samples, so the record's SystemTime − DisplayTime is +28800 s (§5.8).
 */
export function manufacturingXml(
  profile: Profile,
  identity: ReceiverIdentity,
  factoryLocalSeconds: number,
  millis: number,
  factoryUtcOffsetSeconds: number,
): string {
  return checkXmlLength(
    `<ManufacturingParameters SerialNumber="${identity.serial}" HardwarePartNumber="${profile.hardwarePartNumber}"` +
      ` HardwareRevision="${profile.hardwareRevision}"` +
      ` DateTimeCreated="${formatDateTimeCreated(factoryLocalSeconds, millis, factoryUtcOffsetSeconds)}"` +
      ` HardwareId="${identity.hardwareId}" />`,
  );
}

/** PCParameterRecord (§4.8): written when the receiver was first set up from a PC. */
export function pcParameterXml(
  identity: ReceiverIdentity,
  localSeconds: number,
  millis: number,
  utcOffsetSeconds: number,
): string {
  return checkXmlLength(
    `<PCParameterRecord ReceiverId="${identity.receiverId}" FirmwareImageId=""` +
      ` DateTimeCreated="${formatDateTimeCreated(localSeconds, millis, utcOffsetSeconds)}" Nickname="${identity.serial}" />`,
  );
}

/** FirmwareParameterData (type 1): its content is not public (§5.8); this element is SYNTHETIC. */
export function firmwareParameterXml(): string {
  return checkXmlLength('<FirmwareParameters FirmwareImageId="" />');
}
