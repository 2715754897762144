/** The SharebridgeError a promise rejects with (fails the test if it resolves or throws anything else). */
import { isSharebridgeError, type SharebridgeError } from "../../../src/errors.js";

export async function failure(promise: Promise<unknown>): Promise<SharebridgeError> {
  try {
    await promise;
  } catch (error) {
    if (isSharebridgeError(error)) return error;
    throw error;
  }
  throw new Error("expected a failure, got success");
}
