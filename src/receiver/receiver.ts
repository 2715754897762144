/**
 * `Receiver`: the receiver API over a link (DESIGN.md §1). Commands go through their codecs; page
 * reads are split into requests of up to 4 pages (spec §4.7), falling back to 1 page per request for
 * the rest of the connection when a multi-page read fails the way a receiver that cannot do it
 * would fail (spec §10 #1): a NAK-like refusal, silence, or an ACK whose length is not count × 528.
 */
import { isSharebridgeError, SharebridgeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import { MAX_PAGES_PER_REQUEST } from "../wire/packet.js";
import { RESPONSE_CODE } from "../wire/response-codes.js";
import { type CommandCodec, ReadDatabasePages } from "./commands.js";
import { Link, type LinkOptions, type LinkStats, type RequestOptions } from "./link.js";
import type { ReadPagesOptions, ReceiverApi, TimedResult } from "./receiver-api.js";
import type { TransportOpener } from "./transport.js";

export interface ReceiverOptions extends LinkOptions {
  /** Pages per ReadDatabasePages request, 1–4. Default 4 (spec §4.7). */
  pagesPerRequest?: number;
}

/** Re-asks after an ACK whose payload did not decode (RESPONSE_MALFORMED). */
const MALFORMED_RETRIES = 2;

/**
 * Response codes that mean "not like that": a receiver refusing a 4-page read is expected to
 * answer NAK (2), INVALID_COMMAND (3) or INVALID_PARAM (4). Nothing public shows which (spec §9.2).
 */
const MULTI_PAGE_REFUSALS: ReadonlySet<number> = new Set([
  RESPONSE_CODE.NAK,
  RESPONSE_CODE.INVALID_COMMAND,
  RESPONSE_CODE.INVALID_PARAM,
]);

export class Receiver implements ReceiverApi {
  readonly #link: Link;
  readonly #log: Logger;
  #pagesPerRequest: number;
  /** Until one multi-page read succeeded, failures fall back quickly instead of retrying long. */
  #multiPageConfirmed = false;

  private constructor(link: Link, options: ReceiverOptions) {
    this.#link = link;
    this.#log = (options.log ?? silentLogger).child({ component: "receiver" });
    const pages = options.pagesPerRequest ?? MAX_PAGES_PER_REQUEST;
    if (!Number.isInteger(pages) || pages < 1 || pages > MAX_PAGES_PER_REQUEST) {
      throw new SharebridgeError(
        "CONFIG_INVALID",
        `pagesPerRequest must be an integer in [1, ${MAX_PAGES_PER_REQUEST}], got ${pages}`,
        { option: "pagesPerRequest", value: pages },
      );
    }
    this.#pagesPerRequest = pages;
  }

  static async open(opener: TransportOpener, options: ReceiverOptions = {}): Promise<Receiver> {
    return new Receiver(await Link.open(opener, options), options);
  }

  get description(): string {
    return this.#link.description;
  }

  get stats(): Readonly<LinkStats> {
    return this.#link.stats;
  }

  /** Pages per request in use on this connection (4, or 1 after a refusal). */
  get pagesPerRequest(): number {
    return this.#pagesPerRequest;
  }

  async call<Args extends unknown[], Result>(
    codec: CommandCodec<Args, Result>,
    ...args: Args
  ): Promise<Result> {
    return (await this.callTimed(codec, ...args)).value;
  }

  async callTimed<Args extends unknown[], Result>(
    codec: CommandCodec<Args, Result>,
    ...args: Args
  ): Promise<TimedResult<Result>> {
    return this.#callWith({}, codec, args);
  }

  async readPages(
    recordType: number,
    firstPage: number,
    count: number,
    { onProgress, signal }: ReadPagesOptions = {},
  ): Promise<Uint8Array[]> {
    if (!Number.isInteger(count) || count < 0) {
      throw new SharebridgeError("REQUEST_INVALID", "page count must be a non-negative integer", { count });
    }
    const pages: Uint8Array[] = [];
    while (pages.length < count) {
      const page = firstPage + pages.length;
      const want = Math.min(this.#pagesPerRequest, count - pages.length);
      // Until a multi-page read worked, a failure falls back quickly instead of retrying long.
      const probing = want > 1 && !this.#multiPageConfirmed;
      const options: RequestOptions = probing ? { retries: 1, reopens: 0, signal } : { signal };
      try {
        const { value } = await this.#callWith(options, ReadDatabasePages, [recordType, page, want], {
          // A multi-page ACK of the wrong length is the receiver's answer, not a damaged one.
          retryMalformed: (error) => !(want > 1 && isLengthMismatch(error)),
        });
        if (want > 1) this.#multiPageConfirmed = true;
        pages.push(...value);
        onProgress?.(pages.length);
      } catch (error) {
        if (want > 1 && isMultiPageRefusal(error)) {
          this.#log.warn(
            { recordType, page, pages: want, code: (error as SharebridgeError).code },
            "a multi-page read failed; reading one page per request on this connection",
          );
          this.#pagesPerRequest = 1;
          continue;
        }
        throw error;
      }
    }
    return pages;
  }

  close(): Promise<void> {
    return this.#link.close();
  }

  async #callWith<Args extends unknown[], Result>(
    options: RequestOptions,
    codec: CommandCodec<Args, Result>,
    args: Args,
    { retryMalformed = () => true }: { retryMalformed?: (error: SharebridgeError) => boolean } = {},
  ): Promise<TimedResult<Result>> {
    const request = codec.encode(...args);
    for (let attempt = 0; ; attempt++) {
      const response = await this.#link.request(codec.id, request, options);
      try {
        const value = codec.decode(response.payload, ...args);
        return { value, sentAtMs: response.sentAtMs, receivedAtMs: response.receivedAtMs };
      } catch (error) {
        // A well-framed ACK with the wrong shape (a reply to something else, a damaged page header):
        // ask again a bounded number of times, like any other transmission failure.
        if (!isSharebridgeError(error, "RESPONSE_MALFORMED")) throw error;
        if (attempt >= MALFORMED_RETRIES || !retryMalformed(error)) throw error;
        this.#log.debug({ command: codec.name, attempt }, "malformed reply; asking again");
      }
    }
  }
}

/** A RESPONSE_MALFORMED whose payload had another length than the command defines. */
function isLengthMismatch(error: unknown): boolean {
  return isSharebridgeError(error, "RESPONSE_MALFORMED") && error.context["expectedLength"] !== undefined;
}

function isMultiPageRefusal(error: unknown): boolean {
  if (isLengthMismatch(error)) return true;
  if (isSharebridgeError(error, "RECEIVER_NAK")) {
    return MULTI_PAGE_REFUSALS.has(error.context["responseCode"] as number);
  }
  // NAK or silence on a multi-page read through the short retry budget.
  const last = isSharebridgeError(error, "LINK_FAILED") ? error.context["lastError"] : undefined;
  return last === "RESPONSE_TIMEOUT" || last === "RECEIVER_NAK";
}
