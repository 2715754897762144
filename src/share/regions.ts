/**
 * Share regions: the host and the application id each one expects (share-api §1.1, §1.2).
 *
 * An account exists in exactly one region and a wrong region answers exactly like a wrong password
 * (share-api §1.1, §17), so the region always comes from configuration and is never probed.
 */

export const SHARE_REGIONS = ["us", "ous", "jp"] as const;
export type ShareRegion = (typeof SHARE_REGIONS)[number];

/** The application id sent by most clients, accepted in the US and outside-US regions (share-api §1.2). */
export const APPLICATION_ID_DEFAULT = "d89443d2-327c-4a6f-89e5-496bbb0317db";
/** The application id required on the Japanese server (share-api §1.2, pydexcom issue 71). */
export const APPLICATION_ID_JAPAN = "d8665ade-9673-4e27-9ff6-92db4ce13d13";

export interface RegionEndpoint {
  readonly origin: string;
  readonly applicationId: string;
}

export const REGION_ENDPOINTS: Readonly<Record<ShareRegion, RegionEndpoint>> = {
  us: { origin: "https://share2.dexcom.com", applicationId: APPLICATION_ID_DEFAULT },
  ous: { origin: "https://shareous1.dexcom.com", applicationId: APPLICATION_ID_DEFAULT },
  jp: { origin: "https://share.dexcom.jp", applicationId: APPLICATION_ID_JAPAN },
};

export function isShareRegion(value: unknown): value is ShareRegion {
  return typeof value === "string" && (SHARE_REGIONS as readonly string[]).includes(value);
}

/** Every path is this prefix, a service group and an operation name (share-api §1.1). */
export const SERVICE_PREFIX = "/ShareWebServices/Services/";

/**
 * The User-Agent the client sends. The server does not check it (share-api §1.3, §15 #16), but the
 * spec recommends a Share-like value; this is the one most peer uploaders send.
 */
export const SHARE_USER_AGENT = "Dexcom Share/3.0.2.11 CFNetwork/711.2.23 Darwin/14.0.0";
