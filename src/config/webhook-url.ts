/**
 * What `alerts.webhook` and `alerts.format` accept (schema.ts). The URL is checked here, once, at
 * start: an http or https URL with a host. It may carry a secret (an ntfy topic is as good as a
 * password), so no message ever quotes it; the alert sender logs only its host.
 */

/** `ntfy`: a plain-text POST with a Title header (ntfy.sh and compatible); `json`: one JSON object. */
export const ALERT_FORMATS = ["ntfy", "json"] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

/** Why `text` is not a usable webhook URL, or undefined when it is. Never quotes the URL. */
export function webhookProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http or https URL";
  if (url.hostname === "") return "has no host";
  if (url.hash !== "") return "must not have a #fragment";
  return undefined;
}
