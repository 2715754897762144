/**
 * The broker's address (`mqtt.url`): `mqtt://HOST[:PORT]` (plain MQTT, port 1883 unless given) or
 * `mqtts://HOST[:PORT]` (MQTT over TLS, port 8883). Nothing else: the user name and the password
 * are keys of their own (a password in a URL would end up in logs and `ps`), and a path, query or
 * fragment means nothing to MQTT over TCP. IPv6 hosts go in brackets, as in any URL.
 *
 * Messages never quote the URL: it may hold a password someone put there anyway.
 */
import { fail } from "../../errors.js";
import { parseHostPort } from "../../util/host-port.js";

export interface BrokerAddress {
  /** True for `mqtts://`: TLS, with the certificate verified (always). */
  readonly tls: boolean;
  /** DNS name or IP address, without brackets. */
  readonly host: string;
  readonly port: number;
}

const DEFAULT_PORTS = { mqtt: 1883, mqtts: 8883 } as const;
const MAX_URL_LENGTH = 300;
const SCHEME = /^(mqtts?):\/\/(.*)$/i;

type Analysis = { readonly address: BrokerAddress } | { readonly problem: string };

function analyse(text: string): Analysis {
  if (text.length > MAX_URL_LENGTH) return { problem: `is longer than ${MAX_URL_LENGTH} characters` };
  const match = SCHEME.exec(text.trim());
  if (match === null) return { problem: "must start with mqtt:// or mqtts://" };
  const scheme = (match[1] as string).toLowerCase() as keyof typeof DEFAULT_PORTS;
  const rest = (match[2] as string).replace(/\/$/, "");
  if (rest.includes("@")) {
    return { problem: "must not hold a user name or password: use mqtt.username and mqtt.passwordFile" };
  }
  if (/[/?#]/.test(rest))
    return { problem: "must be scheme, host and port only (no path, query or fragment)" };
  // A port is given after the host, or after an IPv6 address's closing bracket.
  const hasPort = /^[^[\]:]+:\d+$|\]:\d+$/.test(rest);
  const parsed = parseHostPort(hasPort ? rest : `${rest}:${DEFAULT_PORTS[scheme]}`, { minPort: 1 });
  if (parsed === undefined) return { problem: "has no valid host, or a port outside 1–65535" };
  return { address: { tls: scheme === "mqtts", host: parsed.host, port: parsed.port } };
}

/** Why `text` is not a broker URL, or undefined when it is one (for the configuration's check). */
export function brokerUrlProblem(text: string): string | undefined {
  const analysis = analyse(text);
  return "problem" in analysis ? analysis.problem : undefined;
}

/** The broker's address; CONFIG_INVALID naming the key when `text` is not a broker URL. */
export function parseBrokerUrl(text: string): BrokerAddress {
  const analysis = analyse(text);
  if ("problem" in analysis)
    return fail("CONFIG_INVALID", `mqtt.url ${analysis.problem}`, { key: "mqtt.url" });
  return analysis.address;
}
