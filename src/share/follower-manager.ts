/**
 * Follower management (share-api §8.1): list, invite (create the contact, then the invitation;
 * delete the contact again if the invitation fails, as the official app does), remove.
 */

import { SharebridgeError } from "../errors.js";
import type { Logger } from "../log.js";
import type { AuthedCaller } from "./authed-call.js";
import { faultKindOf } from "./fault.js";
import {
  assertContactId,
  assertContactName,
  assertEmail,
  invitationBody,
  parseFollowers,
  type ShareFollower,
} from "./followers.js";
import { isUsableId } from "./uuid.js";

const OP = {
  list: "Publisher/ListPublisherAccountSubscriptions",
  createContact: "Publisher/CreateContact",
  invite: "Publisher/CreateSubscriptionInvitation",
  deleteContact: "Publisher/DeleteContact",
} as const;

export interface Invitation {
  readonly contactId: string;
  /** The new subscription's id (share-api §15 #9). */
  readonly subscriptionId: string;
}

export class FollowerManager {
  readonly #call: AuthedCaller;
  readonly #log: Logger;

  constructor(call: AuthedCaller, log: Logger) {
    this.#call = call;
    this.#log = log;
  }

  async list(signal?: AbortSignal): Promise<ShareFollower[]> {
    const answer = await this.#call(OP.list, { signal });
    return parseFollowers(answer.kind === "json" ? answer.value : undefined);
  }

  /** Invites `email` under `contactName`; the follower sees `displayName` as the publisher's name. */
  async invite(
    contactName: string,
    email: string,
    displayName: string,
    signal?: AbortSignal,
  ): Promise<Invitation> {
    assertContactName(contactName);
    assertEmail(email);
    assertContactName(displayName);
    const created = await this.#call(OP.createContact, {
      query: { contactName, emailAddress: email },
      signal,
    });
    const contactId = this.#id(OP.createContact, created.kind === "json" ? created.value : undefined);
    try {
      const invited = await this.#call(OP.invite, {
        query: { contactId },
        body: invitationBody(displayName) as Record<string, unknown>,
        signal,
      });
      const subscriptionId = this.#id(OP.invite, invited.kind === "json" ? invited.value : undefined);
      this.#log.info({ contactId }, "follower invited");
      return { contactId, subscriptionId };
    } catch (error) {
      await this.#undoContact(contactId, signal);
      throw error;
    }
  }

  /** Removes a follower; `false` when Share says the contact was already gone. */
  async remove(contactId: string, signal?: AbortSignal): Promise<boolean> {
    assertContactId(contactId);
    try {
      await this.#call(OP.deleteContact, { query: { contactId: contactId.toLowerCase() }, signal });
      return true;
    } catch (error) {
      if (faultKindOf(error) === "contact-gone") return false;
      throw error;
    }
  }

  async #undoContact(contactId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.remove(contactId, signal);
    } catch (error) {
      // The invitation failure is what the caller must see; the leftover contact is named in the log.
      this.#log.warn({ err: error, contactId }, "could not delete the contact after the invitation failed");
    }
  }

  #id(operation: string, value: unknown): string {
    if (isUsableId(value)) return value.toLowerCase();
    throw new SharebridgeError("SHARE_PROTOCOL", `Share answered ${operation} without an id`, { operation });
  }
}
