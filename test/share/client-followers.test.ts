/** Follower management against the emulator (share-api §8). */
import { afterEach, describe, expect, it } from "vitest";
import type { ShareEmulator } from "../../src/emulator/share/index.js";
import type { ShareClient } from "../../src/share/client.js";
import { ShareClient as Client } from "../../src/share/client.js";
import { createShareSettings } from "../../src/share/settings.js";
import { failure } from "./support/failure.js";
import { clientFor, emulatorWithWearer, OP } from "./support/share-fixtures.js";
import { ACCOUNT_ID, fault, SESSION_ID, sendJson, sendText, startStub } from "./support/stub-server.js";

describe("followers", () => {
  let emulator: ShareEmulator;
  let client: ShareClient;
  afterEach(async () => {
    await client?.close();
    await emulator?.close();
  });

  it("invite, list, remove, remove again", async () => {
    const T = Date.UTC(2026, 3, 1, 10, 30, 15, 250);
    emulator = await emulatorWithWearer({ now: () => T });
    client = clientFor(emulator);
    expect(await client.listFollowers()).toEqual([]);

    const invitation = await client.inviteFollower("Mum & Dad", "parents@example.org", "Sam");
    const followers = await client.listFollowers();
    expect(followers).toEqual([
      {
        contactId: invitation.contactId,
        contactName: "Mum & Dad",
        displayName: "Sam",
        state: 2,
        stateName: "InviteWaiting",
        subscriptionId: invitation.subscriptionId,
        accepted: false,
        isEnabled: true,
        permissions: 1,
        // Share dates carry whole seconds (share-api §1.5); invitations last 7 days (§8.2).
        createdMs: T - 250,
        inviteExpiresMs: T - 250 + 7 * 86_400_000,
      },
    ]);

    expect(await client.removeFollower(invitation.contactId)).toBe(true);
    expect(await client.listFollowers()).toEqual([]);
    expect(await client.removeFollower(invitation.contactId)).toBe(false);
    expect(emulator.countsByOperation()).toEqual({
      [OP.authenticate]: 1,
      [OP.loginById]: 1,
      [OP.list]: 3,
      [OP.createContact]: 1,
      [OP.invite]: 1,
      [OP.deleteContact]: 2,
    });
  });

  it("a second follower with the same name is refused by the server", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    await client.inviteFollower("Mum", "mum@example.org");
    const error = await failure(client.inviteFollower("mum", "other@example.org"));
    expect(error.code).toBe("SHARE_REJECTED");
    expect(error.context).toMatchObject({ shareCode: "InvalidArgument", operation: OP.createContact });
    expect(emulator.count(OP.invite)).toBe(1);
  });

  it("refuses bad names, addresses and ids before any request", async () => {
    emulator = await emulatorWithWearer();
    client = clientFor(emulator);
    expect((await failure(client.inviteFollower("", "a@b.co"))).code).toBe("SHARE_INPUT_INVALID");
    expect((await failure(client.inviteFollower("Mum", "not-an-address"))).code).toBe("SHARE_INPUT_INVALID");
    expect((await failure(client.inviteFollower("Mum\u001b[2J", "a@b.co"))).code).toBe("SHARE_INPUT_INVALID");
    expect((await failure(client.removeFollower("42"))).code).toBe("SHARE_INPUT_INVALID");
    expect(emulator.count()).toBe(0);
  });

  it("a failed invitation deletes the contact it created (share-api §8.1)", async () => {
    const contactId = "abcdefab-1234-4321-8765-abcdefabcdef";
    const stub = await startStub((req, res) => {
      if (req.operation.endsWith("AuthenticatePublisherAccount")) return sendJson(res, 200, ACCOUNT_ID);
      if (req.operation.endsWith("LoginPublisherAccountById")) return sendJson(res, 200, SESSION_ID);
      if (req.operation.endsWith("CreateContact")) return sendJson(res, 200, contactId);
      if (req.operation.endsWith("CreateSubscriptionInvitation"))
        return sendJson(res, 500, fault("InvalidEmailAddress"));
      sendText(res, 200, "");
    });
    const stubClient = new Client({
      settings: createShareSettings({
        server: stub.url,
        username: "u",
        password: "p",
        retry: { retries: 0 },
      }),
    });
    try {
      const error = await failure(stubClient.inviteFollower("Mum", "mum@example.org"));
      expect(error.context).toMatchObject({ shareCode: "InvalidEmailAddress", operation: OP.invite });
      expect(stub.operations()).toEqual([
        OP.authenticate,
        OP.loginById,
        OP.createContact,
        OP.invite,
        OP.deleteContact,
      ]);
      expect(stub.requests[4]?.query.get("contactId")).toBe(contactId);
      expect(stub.requests[2]?.query.get("contactName")).toBe("Mum");
      expect(stub.requests[2]?.query.get("emailAddress")).toBe("mum@example.org");
    } finally {
      await stubClient.close();
      await stub.close();
    }
  });
});
