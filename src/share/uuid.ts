/**
 * Identifiers on the wire: account, session, contact and subscription ids are UUIDs written as
 * lowercase hex with hyphens (share-api §1.4, §2).
 */

/** A successful HTTP 200 login answer that means "not logged in" (share-api §2). */
export const NULL_UUID = "00000000-0000-0000-0000-000000000000";

import { isUuid } from "../util/uuid.js";

export { isUuid };

/** A UUID that is not the null UUID: the only thing a login step may answer (share-api §3.2 step 3). */
export function isUsableId(value: unknown): value is string {
  return isUuid(value) && value !== NULL_UUID;
}
