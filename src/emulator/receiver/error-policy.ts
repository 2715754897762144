/**
 * How the emulator answers what a real receiver was never observed answering (spec
 * receiver-protocol §7.2). The defaults are the spec's recommended policy; every row can be switched
 * to its listed alternative, from the API (`errorPolicy`) or the CLI (`--policy key=value,...`).
 */
import { describeError, SharebridgeError } from "../../errors.js";

export interface ErrorPolicy {
  /** Unknown command id (e.g. 12, 44, ≥ 61): INVALID_COMMAND, or no reply at all. */
  readonly unknownCommand: "invalid-command" | "silence";
  /** Known but dangerous or unimplemented command (26, 28, 32, 36, 38, 40, 42, 45, 46, 47, 49, 50, 52, 53, 55–58). */
  readonly unimplementedCommand: "invalid-command" | "ack";
  /** Payload length wrong for the command. */
  readonly badPayloadLength: "invalid-param" | "nak";
  /** Page outside [firstPage, lastPage] (including FFFFFFFF, which EC asks for on empty partitions). */
  readonly pageOutOfRange: "invalid-param" | "ff-fill";
  /** A page read running past lastPage. (Count 0 is always INVALID_PARAM: nothing to truncate to.) */
  readonly pageCount: "invalid-param" | "truncate";
  /** More pages than the pages-per-request limit. */
  readonly tooManyPages: "invalid-param" | "nak" | "truncate";
  /** A request whose packet CRC is wrong. */
  readonly badCrc: "nak" | "silence";
  /** A length field below 6 or above the largest request (64 bytes). */
  readonly badLength: "nak" | "silence";
  /** A packet started but not completed within `incompleteTimeoutMs`. */
  readonly incompletePacket: "incomplete-packet" | "silence";
  /** Inter-byte timeout for a started packet, ms (§7.2 suggests 500). */
  readonly incompleteTimeoutMs: number;
  /** Command ids answered with INVALID_MODE, as if the receiver were in a mode that forbids them. */
  readonly invalidModeCommands: readonly number[];
}

export const DEFAULT_ERROR_POLICY: ErrorPolicy = {
  unknownCommand: "invalid-command",
  unimplementedCommand: "invalid-command",
  badPayloadLength: "invalid-param",
  pageOutOfRange: "invalid-param",
  pageCount: "invalid-param",
  tooManyPages: "invalid-param",
  badCrc: "nak",
  badLength: "nak",
  incompletePacket: "incomplete-packet",
  incompleteTimeoutMs: 500,
  invalidModeCommands: [],
};

const CHOICES: Readonly<Record<string, readonly string[]>> = {
  unknownCommand: ["invalid-command", "silence"],
  unimplementedCommand: ["invalid-command", "ack"],
  badPayloadLength: ["invalid-param", "nak"],
  pageOutOfRange: ["invalid-param", "ff-fill"],
  pageCount: ["invalid-param", "truncate"],
  tooManyPages: ["invalid-param", "nak", "truncate"],
  badCrc: ["nak", "silence"],
  badLength: ["nak", "silence"],
  incompletePacket: ["incomplete-packet", "silence"],
};

/** Checks a partial policy from the API and fills in the defaults (CONFIG_INVALID names the key). */
export function resolveErrorPolicy(partial: Partial<ErrorPolicy> | undefined): ErrorPolicy {
  const policy: Record<string, unknown> = { ...DEFAULT_ERROR_POLICY };
  for (const [key, value] of Object.entries(partial ?? {})) {
    if (value === undefined) continue;
    const choices = CHOICES[key];
    if (choices !== undefined) {
      if (typeof value !== "string" || !choices.includes(value)) {
        throw new SharebridgeError(
          "CONFIG_INVALID",
          `errorPolicy.${key} must be one of ${choices.join(", ")}`,
          {
            key,
            value,
          },
        );
      }
    } else if (key === "incompleteTimeoutMs") {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 10 || value > 60_000) {
        throw new SharebridgeError("CONFIG_INVALID", "errorPolicy.incompleteTimeoutMs must be 10–60000", {
          value,
        });
      }
    } else if (key === "invalidModeCommands") {
      if (!Array.isArray(value) || !value.every((id) => Number.isInteger(id) && id >= 0 && id <= 255)) {
        throw new SharebridgeError(
          "CONFIG_INVALID",
          "errorPolicy.invalidModeCommands must be command ids 0–255",
          {
            value,
          },
        );
      }
    } else {
      throw new SharebridgeError("CONFIG_INVALID", `unknown errorPolicy key "${key}"`, {
        key,
        allowed: Object.keys(DEFAULT_ERROR_POLICY),
      });
    }
    policy[key] = value;
  }
  return policy as unknown as ErrorPolicy;
}

/** kebab-case CLI names of the policy keys. */
const CLI_KEYS: Readonly<Record<string, keyof ErrorPolicy>> = {
  "unknown-command": "unknownCommand",
  "unimplemented-command": "unimplementedCommand",
  "bad-payload-length": "badPayloadLength",
  "page-out-of-range": "pageOutOfRange",
  "page-count": "pageCount",
  "too-many-pages": "tooManyPages",
  "bad-crc": "badCrc",
  "bad-length": "badLength",
  "incomplete-packet": "incompletePacket",
  "incomplete-timeout-ms": "incompleteTimeoutMs",
};

/** Parses `--policy bad-crc=silence,page-out-of-range=ff-fill,...` (USAGE error naming the bad item). */
export function parseErrorPolicySpec(spec: string): Partial<ErrorPolicy> {
  const out: Record<string, unknown> = {};
  if (spec.length > 1000)
    throw new SharebridgeError("USAGE", "--policy is too long", { length: spec.length });
  for (const item of spec.split(",").filter((s) => s.trim() !== "")) {
    const [name = "", value = "", ...rest] = item.trim().split("=");
    const key = CLI_KEYS[name];
    if (key === undefined || rest.length > 0 || value === "") {
      throw new SharebridgeError(
        "USAGE",
        `--policy: bad item "${item}"; keys: ${Object.keys(CLI_KEYS).join(", ")}`,
        {
          item,
        },
      );
    }
    out[key] = key === "incompleteTimeoutMs" ? Number(value) : value;
  }
  try {
    resolveErrorPolicy(out as Partial<ErrorPolicy>);
  } catch (error) {
    throw new SharebridgeError("USAGE", `--policy: ${describeError(error)}`, { spec }, { cause: error });
  }
  return out as Partial<ErrorPolicy>;
}
