/**
 * A value that must never reach a log, an error message, a state file or the terminal.
 *
 * Wrapping the password in an object whose every string form is "[redacted]" means that a settings
 * object accidentally handed to a logger, `JSON.stringify` or `console.log` shows nothing; only
 * `reveal()`, called where the request body is built, yields the text.
 */
import { inspect } from "node:util";

const REDACTED = "[redacted]";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret text. Call only where it is put on the wire. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
