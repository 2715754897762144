/**
 * The Share emulator (share-api §14.2, DESIGN §9): an in-memory Share service on loopback HTTP for
 * tests, the demo and users' own debugging. `startShareEmulator` is the in-process entry point;
 * `sharebridge emulate share` wraps it.
 */
export {
  DEFAULT_KNOBS,
  resolveKnobs,
  type ShareEmulatorKnobs,
  type ShareEmulatorKnobsInput,
} from "./knobs.js";
export type { AccountRecord, EmulatorAccountInput, StoredEgv } from "./model.js";
export {
  type ListenAddress,
  type RequestLogEntry,
  ShareEmulator,
  type ShareEmulatorOptions,
  startShareEmulator,
} from "./server.js";
