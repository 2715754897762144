/** Raw HTTP against the emulator, the way third-party clients talk to Share. */
import type { ShareEmulator } from "../../../src/emulator/share/index.js";
import type { ShareRegion } from "../../../src/share/regions.js";

export interface RawAnswer {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly headers: Headers;
  json(): unknown;
}

export interface RawRequest {
  readonly method?: string;
  /** Appended as-is: `sessionID=...&serialNumber=...`. */
  readonly query?: string;
  /** Sent as JSON; a string is sent verbatim; undefined sends no body. */
  readonly body?: unknown;
  readonly region?: ShareRegion;
  readonly headers?: Record<string, string>;
}

export const PREFIX = "/ShareWebServices/Services/";
export const APP_ID = "d89443d2-327c-4a6f-89e5-496bbb0317db";
export const APP_ID_JP = "d8665ade-9673-4e27-9ff6-92db4ce13d13";

export async function raw(
  emulator: ShareEmulator,
  operation: string,
  request: RawRequest = {},
): Promise<RawAnswer> {
  const url = `${emulator.url(request.region ?? "us")}${PREFIX}${operation}${request.query === undefined ? "" : `?${request.query}`}`;
  const body =
    request.body === undefined
      ? undefined
      : typeof request.body === "string"
        ? request.body
        : JSON.stringify(request.body);
  const response = await fetch(url, {
    method: request.method ?? (operation === "General/SystemUtcTime" ? "GET" : "POST"),
    headers: { "content-type": "application/json", accept: "application/json", ...request.headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    text,
    headers: response.headers,
    json: () => JSON.parse(text),
  };
}

/** Two-step login; returns the session id. */
export async function login(
  emulator: ShareEmulator,
  name: string,
  password: string,
  region: ShareRegion = "us",
) {
  const appId = region === "jp" ? APP_ID_JP : APP_ID;
  const accountId = (
    await raw(emulator, "General/AuthenticatePublisherAccount", {
      region,
      body: { accountName: name, password, applicationId: appId },
    })
  ).json() as string;
  const sessionId = (
    await raw(emulator, "General/LoginPublisherAccountById", {
      region,
      body: { accountId, password, applicationId: appId },
    })
  ).json() as string;
  return { accountId, sessionId };
}
