/**
 * Followers: the invitation body sent with `CreateSubscriptionInvitation` and the parsing of
 * `ListPublisherAccountSubscriptions` answers (share-api §8.2). Server strings are cleaned of
 * control characters before anyone prints them.
 */
import { fail, SharebridgeError } from "../errors.js";
import { parseShareDate } from "./dates.js";
import { hasControlCharacters, withoutControlCharacters } from "./text.js";
import { isUsableId, isUuid } from "./uuid.js";

/** Follower states (share-api §8.2, OA5 FollowerState). */
export const FOLLOWER_STATES = [
  "Unknown",
  "Created",
  "InviteWaiting",
  "InviteFailed",
  "InviteRejected",
  "InviteExpired",
  "Active",
  "PausedByPublisher",
  "PausedBySubscriber",
  "CanceledByPublisher",
  "CanceledBySubscriber",
  "CanceledByBoth",
  "AbandonedBySubscriber",
] as const;

export interface ShareFollower {
  readonly contactId: string;
  readonly contactName: string;
  readonly displayName: string | undefined;
  readonly state: number;
  readonly stateName: string;
  readonly subscriptionId: string | undefined;
  /** The subscriber id is the null UUID until the invitation is accepted (share-api §8.2). */
  readonly accepted: boolean;
  readonly isEnabled: boolean | undefined;
  readonly permissions: number | undefined;
  readonly createdMs: number | undefined;
  readonly inviteExpiresMs: number | undefined;
}

const MAX_NAME_LENGTH = 100;
const MAX_EMAIL_LENGTH = 254;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_FOLLOWERS = 500;

export function assertContactName(name: string): void {
  if (name.trim() === "" || name.length > MAX_NAME_LENGTH || hasControlCharacters(name)) {
    fail("SHARE_INPUT_INVALID", `the follower name must be 1 to ${MAX_NAME_LENGTH} printable characters`, {
      field: "contactName",
    });
  }
}

export function assertEmail(email: string): void {
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(email)) {
    fail("SHARE_INPUT_INVALID", "the follower e-mail address is not valid", { field: "emailAddress" });
  }
}

export function assertContactId(contactId: string): void {
  if (!isUsableId(contactId)) {
    fail("SHARE_INPUT_INVALID", "a follower id is a UUID as shown by `share followers list`", {
      field: "contactId",
    });
  }
}

/** An alert as the invitation carries it; values are the Share app's defaults (share-api §8.2). */
function alert(
  type: number,
  min: number,
  max: number,
  delay: string,
  realarm: string,
  sound: string,
  on: boolean,
) {
  return {
    AlertType: type,
    MinValue: min,
    MaxValue: max,
    AlarmDelay: delay,
    RealarmDelay: realarm,
    IsEnabled: on,
    Sound: sound,
  };
}

/**
 * The invitation body. Permissions 1 lets the follower see the trend graph. Only the urgent-low
 * alert starts enabled: the follower adjusts the rest in the Follow app.
 */
export function invitationBody(displayName: string): unknown {
  return {
    DisplayName: displayName,
    Permissions: 1,
    AlertSettings: {
      HighAlert: alert(1, 200, 401, "PT1H", "PT2H", "High.wav", false),
      LowAlert: alert(2, 39, 70, "PT30M", "PT2H", "Low.wav", false),
      FixedLowAlert: alert(3, 39, 55, "PT0M", "PT30M", "UrgentLow.wav", true),
      NoDataAlert: alert(4, 39, 401, "PT1H", "PT0M", "NoData.wav", false),
    },
  };
}

function cleanText(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  return withoutControlCharacters(value).slice(0, MAX_NAME_LENGTH);
}

function dateField(value: unknown): number | undefined {
  if (typeof value === "object" && value !== null)
    return parseShareDate((value as Record<string, unknown>)["DateTime"])?.ms;
  return parseShareDate(value)?.ms;
}

function parseFollower(element: unknown): ShareFollower | undefined {
  if (typeof element !== "object" || element === null || Array.isArray(element)) return undefined;
  const r = element as Record<string, unknown>;
  const contactId = r["ContactId"];
  if (!isUuid(contactId)) return undefined;
  const state = typeof r["State"] === "number" && Number.isInteger(r["State"]) ? (r["State"] as number) : 0;
  const subscriptionId = isUsableId(r["SubscriptionId"]) ? (r["SubscriptionId"] as string) : undefined;
  return {
    contactId: contactId.toLowerCase(),
    contactName: cleanText(r["ContactName"]) ?? "",
    displayName: cleanText(r["DisplayName"]),
    state,
    stateName: FOLLOWER_STATES[state] ?? `State${state}`,
    subscriptionId,
    accepted: isUsableId(r["SubscriberId"]),
    isEnabled: typeof r["IsEnabled"] === "boolean" ? r["IsEnabled"] : undefined,
    permissions: typeof r["Permissions"] === "number" ? r["Permissions"] : undefined,
    createdMs: dateField(r["DateTimeCreated"]),
    inviteExpiresMs: dateField(r["InviteExpires"]),
  };
}

export function parseFollowers(value: unknown): ShareFollower[] {
  if (!Array.isArray(value) || value.length > MAX_FOLLOWERS) {
    throw new SharebridgeError(
      "SHARE_PROTOCOL",
      "the follower list answer is not a JSON array of followers",
      {
        operation: "Publisher/ListPublisherAccountSubscriptions",
      },
    );
  }
  const followers: ShareFollower[] = [];
  for (const element of value) {
    const follower = parseFollower(element);
    if (follower !== undefined) followers.push(follower);
  }
  return followers;
}
