/**
 * Control characters in text that came from outside (server answers, flags) or will be shown on a
 * terminal: detected for validation, removed before display so an answer cannot move the cursor
 * or recolour the operator's terminal.
 */
const CONTROL = /\p{Cc}/u;
const CONTROL_RUNS = /\p{Cc}+/gu;

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

export function withoutControlCharacters(text: string, replacement = ""): string {
  return text.replace(CONTROL_RUNS, replacement);
}
