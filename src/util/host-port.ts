/**
 * `HOST:PORT` as people write it on a command line or in a configuration file, the one parser for
 * every place that takes an address: `http.listen`, `emulate receiver|share --listen`, the
 * `tcp://HOST:PORT` receiver device.
 *
 *   127.0.0.1:9477   localhost:7777   receiver.lan:3333   [::1]:8080   9477 (when `portOnlyHost` is given)
 *
 * IPv6 addresses go in brackets (RFC 3986 §3.2.2), as in a URL; the brackets are not part of `host`.
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface HostPortOptions {
  /** Accept a bare port number, meaning this host (e.g. "127.0.0.1" for a listener). Default: refused. */
  readonly portOnlyHost?: string;
  /** The lowest port accepted: 0 lets a listener pick a free port; 1 for an address to connect to. Default 0. */
  readonly minPort?: number;
}

/** A DNS name or an IPv4 address: letters, digits, dots, hyphens, underscores; at most 253 characters. */
const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;
/** An IPv6 address inside brackets (hex groups, colons, an optional dotted IPv4 tail, a zone id). */
const IPV6 = /^[0-9A-Fa-f:.]{2,45}(?:%[A-Za-z0-9_.-]{1,32})?$/;
const PORT = /^[0-9]{1,5}$/;

/** Parses `text`, or answers undefined when it is not a HOST:PORT (the caller names the option in its error). */
export function parseHostPort(text: string, options: HostPortOptions = {}): HostPort | undefined {
  const value = text.trim();
  const minPort = options.minPort ?? 0;
  const port = (digits: string): number | undefined => {
    if (!PORT.test(digits)) return undefined;
    const n = Number(digits);
    return n >= minPort && n <= 65_535 ? n : undefined;
  };
  if (options.portOnlyHost !== undefined && PORT.test(value)) {
    const p = port(value);
    return p === undefined ? undefined : { host: options.portOnlyHost, port: p };
  }
  const colon = value.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const hostText = value.slice(0, colon);
  const p = port(value.slice(colon + 1));
  if (p === undefined) return undefined;
  if (hostText.startsWith("[") && hostText.endsWith("]")) {
    const inner = hostText.slice(1, -1);
    return IPV6.test(inner) && inner.includes(":") ? { host: inner, port: p } : undefined;
  }
  return NAME.test(hostText) ? { host: hostText, port: p } : undefined;
}

/** The address as it is written back: brackets around an IPv6 host. */
export function formatHostPort({ host, port }: HostPort): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
