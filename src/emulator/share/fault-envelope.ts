/**
 * The error envelope the emulator answers with (share-api §9.1): HTTP 500 and a JSON object with
 * `Code`, `Message`, `SubCode` and `TypeName: "FaultException"`, in that order. SubCode is the
 * XML-like element of 2017–mid 2025 or the JSON text seen since late 2025 (share-api §9.2).
 */
import { newId } from "./model.js";

/** Type / Category / Severity seen per code (share-api §9.2); other codes get the InvalidState triple. */
const CLASSIFICATION: Readonly<Record<string, readonly [number, string, number, string, number, string]>> = {
  AccountPasswordInvalid: [13, "InvalidPassword", 4, "Validation", 1, "Minor"],
  SessionIdNotFound: [5, "ObjectNotFound", 2, "Database", 2, "Severe"],
  SessionNotValid: [6, "SessionNotValid", 5, "Logical", 1, "Minor"],
  MonitoredReceiverNotAssigned: [14, "InvalidState", 5, "Logical", 1, "Minor"],
  SSO_AuthenticatePasswordInvalid: [15, "SingleSignOn", 1, "System", 2, "Severe"],
  SSO_AuthenticateAccountNotFound: [15, "SingleSignOn", 1, "System", 2, "Severe"],
};
const DEFAULT_CLASSIFICATION = [14, "InvalidState", 5, "Logical", 1, "Minor"] as const;

function xmlAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function faultEnvelope(code: string, message: string, style: "xml" | "json", nowMs: number): string {
  const [type, typeString, category, categoryString, severity, severityString] =
    CLASSIFICATION[code] ?? DEFAULT_CLASSIFICATION;
  const thrown = new Date(nowMs).toISOString();
  const fullText = `com.dexcom.udp.common.data.exception.OnlineException: ${message}`;
  // SessionNotValid was seen with an empty ErrorCode attribute (share-api §9.2).
  const errorCode = code === "SessionNotValid" ? "" : code;
  const id = `{${newId().toUpperCase()}}`;
  let subCode: string;
  if (style === "xml") {
    subCode =
      `<OnlineException DateThrownLocal="${thrown}" DateThrown="${thrown}" ErrorCode="${xmlAttribute(errorCode)}"` +
      ` Type="${type}" Category="${category}" Severity="${severity}" TypeString="${typeString}"` +
      ` CategoryString="${categoryString}" SeverityString="${severityString}" HostName="" HostIP=""` +
      ` Id="${id}" Message="${xmlAttribute(message)}" FullText="${xmlAttribute(fullText)}" />`;
  } else {
    subCode = JSON.stringify(
      {
        OnlineException: {
          DateThrownLocal: thrown,
          DateThrown: thrown,
          ErrorCode: errorCode,
          Type: type,
          Category: category,
          Severity: severity,
          TypeString: typeString,
          CategoryString: categoryString,
          SeverityString: severityString,
          HostName: "",
          HostIP: "",
          Id: id,
          Message: message,
          FullText: fullText,
        },
      },
      null,
      2,
    );
  }
  return JSON.stringify({ Code: code, Message: message, SubCode: subCode, TypeName: "FaultException" });
}
