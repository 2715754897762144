/**
 * What the layers above the link (records, time, sync, CLI) may ask of a connected receiver.
 * Implemented by `Receiver` in receiver.ts; tests may implement it over recorded pages.
 */
import type { CommandCodec } from "./commands.js";

export interface TimedResult<T> {
  readonly value: T;
  /** Host clock (ms since the Unix epoch) just before the request was written. */
  readonly sentAtMs: number;
  /** Host clock when the complete response had arrived. */
  readonly receivedAtMs: number;
}

export interface ReadPagesOptions {
  /** Called after each request with the pages read so far. */
  readonly onProgress?: ((pagesRead: number) => void) | undefined;
  /** Ends the read with ABORTED: checked between requests, and ends the request in flight. */
  readonly signal?: AbortSignal | undefined;
}

export interface ReceiverApi {
  /** The transport's description (device path or tcp:// URL). */
  readonly description: string;
  /** One command, with the link's timeout and retry policy. */
  call<Args extends unknown[], Result>(codec: CommandCodec<Args, Result>, ...args: Args): Promise<Result>;
  /** As `call`, with the host-clock times around the round trip (for the clock anchor, DESIGN.md §5). */
  callTimed<Args extends unknown[], Result>(
    codec: CommandCodec<Args, Result>,
    ...args: Args
  ): Promise<TimedResult<Result>>;
  /**
   * Pages `firstPage … firstPage + count − 1` of a partition, in order, as 528-byte views, read up to
   * 4 per request (1 per request once the receiver refused a multi-page read on this connection).
   */
  readPages(
    recordType: number,
    firstPage: number,
    count: number,
    options?: ReadPagesOptions,
  ): Promise<Uint8Array[]>;
  close(): Promise<void>;
}
