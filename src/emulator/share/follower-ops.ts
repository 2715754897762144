/**
 * Followers: contacts and their subscriptions (share-api §8). Deleted contacts are kept as
 * tombstones so a second delete answers ContactAlreadyDeleted.
 */
import { formatShareDate } from "../../share/dates.js";
import { isUuid, NULL_UUID } from "../../share/uuid.js";
import { type AccountRecord, type ContactRecord, newId } from "./model.js";
import {
  type AuthedContext,
  bodyObject,
  empty,
  fault,
  invalidArgument,
  json,
  nonEmptyString,
  type Operation,
  type Reply,
} from "./operation.js";
import { monitoringActive } from "./publisher-ops.js";

const INVITE_DAYS = 7;
const MAX_CONTACTS = 200;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const shareDateTime = (ms: number) => ({
  DateTime: formatShareDate(Math.floor(ms / 1000)),
  OffsetMinutes: 0,
});

function liveContacts(account: AccountRecord): ContactRecord[] {
  return account.contacts.filter((c) => !c.deleted);
}

/** The contact named by the `contactId` query key, or the fault to answer. */
function contactOf(ctx: AuthedContext): ContactRecord | Reply {
  const id = ctx.query("contactId");
  if (!isUuid(id)) return invalidArgument("contactId");
  const contact = ctx.account.contacts.find((c) => c.contactId === id.toLowerCase());
  if (contact === undefined) return fault("ContactIdNotFound", "The contact was not found.");
  if (contact.deleted) return fault("ContactAlreadyDeleted", "The contact has already been deleted.");
  return contact;
}

const isReply = (value: ContactRecord | Reply): value is Reply => "kind" in value;

function createContact(ctx: AuthedContext): Reply {
  const name = ctx.query("contactName");
  const email = ctx.query("emailAddress");
  if (!nonEmptyString(name) || name.length > 100) return invalidArgument("contactName");
  if (email === undefined || email.length > 254 || !EMAIL.test(email)) {
    return fault("InvalidEmailAddress", "The e-mail address is not valid.");
  }
  const live = liveContacts(ctx.account);
  // The duplicate-name code is unverified upstream (share-api §8.2); InvalidArgument is the safe guess.
  if (live.some((c) => c.name.toLowerCase() === name.toLowerCase())) {
    return fault("InvalidArgument", "The contact name already exists for this account");
  }
  if (live.length >= MAX_CONTACTS) return invalidArgument("contactName");
  const contact: ContactRecord = {
    contactId: newId(),
    name,
    email,
    createdMs: ctx.now,
    modifiedMs: ctx.now,
    deleted: false,
    subscription: undefined,
  };
  ctx.account.contacts.push(contact);
  return json(contact.contactId);
}

function createInvitation(ctx: AuthedContext): Reply {
  const contact = contactOf(ctx);
  if (isReply(contact)) return contact;
  const body = bodyObject(ctx.body);
  const displayName = body?.["DisplayName"];
  const permissions = body?.["Permissions"];
  if (!nonEmptyString(displayName)) return invalidArgument("DisplayName");
  if (typeof permissions !== "number" || !Number.isInteger(permissions))
    return invalidArgument("Permissions");
  if (bodyObject(body?.["AlertSettings"]) === undefined) return invalidArgument("AlertSettings");
  contact.subscription = {
    subscriptionId: newId(),
    subscriberId: NULL_UUID,
    state: 2, // InviteWaiting
    permissions,
    displayName: displayName.slice(0, 100),
    inviteExpiresMs: ctx.now + INVITE_DAYS * 86_400_000,
  };
  contact.modifiedMs = ctx.now;
  return json(contact.subscription.subscriptionId);
}

function listSubscriptions(ctx: AuthedContext): Reply {
  const active = monitoringActive(ctx, ctx.account);
  return json(
    liveContacts(ctx.account).flatMap((c) =>
      c.subscription === undefined
        ? []
        : [
            {
              ContactId: c.contactId,
              ContactName: c.name,
              DateTimeCreated: shareDateTime(c.createdMs),
              DateTimeModified: shareDateTime(c.modifiedMs),
              DisplayName: c.subscription.displayName,
              InviteExpires: shareDateTime(c.subscription.inviteExpiresMs),
              IsEnabled: true,
              IsMonitoringSessionActive: active,
              Permissions: c.subscription.permissions,
              State: c.subscription.state,
              SubscriberId: c.subscription.subscriberId,
              SubscriptionId: c.subscription.subscriptionId,
            },
          ],
    ),
  );
}

export const FOLLOWER_OPERATIONS: Readonly<Record<string, Operation>> = {
  "Publisher/DoesContactExistByName": {
    method: "POST",
    auth: "query-session",
    mutates: false,
    handle(ctx) {
      const name = ctx.query("contactName");
      if (!nonEmptyString(name)) return invalidArgument("contactName");
      return json(liveContacts(ctx.account).some((c) => c.name.toLowerCase() === name.toLowerCase()));
    },
  },
  "Publisher/CreateContact": { method: "POST", auth: "query-session", mutates: true, handle: createContact },
  "Publisher/CreateSubscriptionInvitation": {
    method: "POST",
    auth: "query-session",
    mutates: true,
    handle: createInvitation,
  },
  "Publisher/ListPublisherAccountSubscriptions": {
    method: "POST",
    auth: "query-session",
    mutates: false,
    handle: listSubscriptions,
  },
  "Publisher/ReadContact": {
    method: "POST",
    auth: "query-session",
    mutates: false,
    handle(ctx) {
      const contact = contactOf(ctx);
      if (isReply(contact)) return contact;
      return json({ ContactId: contact.contactId, Name: contact.name, Email: contact.email });
    },
  },
  "Publisher/DeleteContact": {
    method: "POST",
    auth: "query-session",
    mutates: true,
    handle(ctx) {
      const contact = contactOf(ctx);
      if (isReply(contact)) return contact;
      contact.deleted = true;
      contact.modifiedMs = ctx.now;
      return empty;
    },
  },
  "Publisher/UpdateContactName": {
    method: "POST",
    auth: "query-session",
    mutates: true,
    handle(ctx) {
      const contact = contactOf(ctx);
      if (isReply(contact)) return contact;
      const name = ctx.query("contactName");
      if (!nonEmptyString(name) || name.length > 100) return invalidArgument("contactName");
      contact.name = name;
      contact.modifiedMs = ctx.now;
      return empty;
    },
  },
};
