/** The whole code table of share-api §9.3 classified, the envelope parsed, messages scrubbed. */
import { describe, expect, it } from "vitest";
import { classifyFault, faultError, parseFaultEnvelope, scrubServerText } from "../../src/share/fault.js";

describe("fault classification", () => {
  it.each([
    ["SessionIdNotFound", "session", "SHARE_SESSION"],
    ["SessionNotValid", "session", "SHARE_SESSION"],
    ["AccountPasswordInvalid", "credentials", "SHARE_CREDENTIALS"],
    ["SSO_AuthenticateAccountNotFound", "credentials", "SHARE_CREDENTIALS"],
    ["SSO_AuthenticatePasswordInvalid", "credentials", "SHARE_CREDENTIALS"],
    ["SSO_AuthenticateMaxAttemptsExceeed", "lockout", "SHARE_LOCKED_OUT"],
    ["SSO_AuthenticateMaxAttemptsExceeded", "lockout", "SHARE_LOCKED_OUT"],
    ["MonitoringSessionNotActive", "monitoring-not-active", "SHARE_MONITORING_SESSION"],
    ["MonitoringSessionAlreadyActive", "monitoring-already-active", "SHARE_MONITORING_SESSION"],
    ["MonitoredReceiverNotAssigned", "receiver-not-assigned", "SHARE_ASSIGNMENT"],
    ["MonitoredReceiverSerialNumberDoesNotMatch", "receiver-mismatch", "SHARE_ASSIGNMENT"],
    ["SerialNumberAssignedToSomeoneElse", "serial-owned-elsewhere", "SHARE_ASSIGNMENT"],
    ["SerialNumberAssignedToYou", "serial-already-yours", "SHARE_ASSIGNMENT"],
    ["DuplicateEgvPosted", "duplicate", "SHARE_REJECTED"],
    ["FutureEgvPosted", "future", "SHARE_REJECTED"],
    ["ContactAlreadyDeleted", "contact-gone", "SHARE_REJECTED"],
    ["ContactIdNotFound", "contact-gone", "SHARE_REJECTED"],
    ["InvalidArgument", "invalid-argument", "SHARE_REJECTED"],
    ["SSO_InternalError", "other", "SHARE_REJECTED"],
    ["SSO_EmailNonStandard", "other", "SHARE_REJECTED"],
    ["InvalidEmailAddress", "other", "SHARE_REJECTED"],
    ["SubscriptionNotPaused", "other", "SHARE_REJECTED"],
    ["IntegrityCheckFailed", "other", "SHARE_REJECTED"],
    ["SomethingNobodyHasSeen", "other", "SHARE_REJECTED"],
  ])("%s → %s (%s)", (code, kind, errorCode) => {
    expect(classifyFault(code, "")).toBe(kind);
    const error = faultError("Publisher/X", 500, { code, message: "m" }, []);
    expect(error.code).toBe(errorCode);
    expect(error.context).toEqual({
      operation: "Publisher/X",
      httpStatus: 500,
      shareCode: code,
      fault: kind,
      serverMessage: "m",
    });
  });

  it("SSO_InternalError saying it cannot authenticate is a credential failure", () => {
    expect(classifyFault("SSO_InternalError", "Cannot Authenticate by AccountName")).toBe("credentials");
    expect(classifyFault("SSO_InternalError", "Cannot Authenticate by AccountId")).toBe("credentials");
  });
});

describe("envelope", () => {
  it("parses the captured shape", () => {
    expect(
      parseFaultEnvelope({
        Code: "SessionIdNotFound",
        Message: "Failed to find session object. [SessionId = x]",
        SubCode: "<OnlineException ... />",
        TypeName: "FaultException",
      }),
    ).toEqual({ code: "SessionIdNotFound", message: "Failed to find session object. [SessionId = x]" });
  });

  it("refuses anything without a string Code", () => {
    for (const v of [null, [], "text", 5, {}, { Code: 5 }, { Code: "" }, { code: "lowercase" }]) {
      expect(parseFaultEnvelope(v)).toBeUndefined();
    }
  });

  it("keeps codes and messages whole until they are scrubbed (a cut first could split a secret)", () => {
    const parsed = parseFaultEnvelope({ Code: "Z".repeat(500), Message: "M".repeat(5000) });
    expect(parsed?.code).toHaveLength(500);
    expect(parsed?.message).toHaveLength(5000);
    const error = faultError("Publisher/X", 500, parsed ?? { code: "", message: "" }, []);
    expect(error.context["shareCode"]).toBe(`${"Z".repeat(80)}…`);
    expect(error.context["serverMessage"]).toBe(`${"M".repeat(200)}…`);
  });
});

describe("scrubbing server text", () => {
  it("removes ids, secrets and control characters and caps the length", () => {
    expect(
      scrubServerText(
        "Session not active or timed out. [SessionId = 0F0E0D0C-1111-4222-8333-444455556666]\u001b[31m hunter2",
        ["hunter2"],
      ),
    ).toBe("Session not active or timed out. [SessionId = <id>] [31m <redacted>");
    expect(scrubServerText("x".repeat(300))).toHaveLength(201);
  });

  it("scrubs before cutting: a secret straddling the cut leaves no part of itself", () => {
    const secret = "hunter2-and-more";
    for (let at = 60; at < 90; at++) {
      const text = `${"x".repeat(at)}${secret}${"y".repeat(50)}`;
      const shown = scrubServerText(text, [secret], 80);
      for (let n = 4; n <= secret.length; n++) expect(shown).not.toContain(secret.slice(0, n));
    }
  });

  it("scrubs the code and the message of a fault, which a server may use to echo the password or session", () => {
    const session = "0f0e0d0c-1111-4222-8333-444455556666";
    const error = faultError(
      "Publisher/X",
      500,
      { code: `Bad_${session}_hunter2`, message: `x hunter2 ${session.toUpperCase()}` },
      ["hunter2"],
    );
    expect(error.message).toBe("Share answered Bad_<id>_<redacted> to Publisher/X [SHARE_REJECTED]");
    expect(error.context).toMatchObject({
      shareCode: "Bad_<id>_<redacted>",
      serverMessage: "x <redacted> <id>",
    });
  });
});
