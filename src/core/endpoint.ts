import { isIP } from 'node:net';
import { HarnessError } from './errors.js';
import { safeText } from './text.js';

/** A host and port to connect to. */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * Parses `host:port`, `[v6]:port`, or `https://host:port` (port 443 implied for https:// without one).
 * Throws a usage error naming the bad value.
 */
export function parseEndpoint(input: string): Endpoint {
  let s = input.trim();
  let defaultPort: number | undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme) {
    defaultPort = scheme[1]!.toLowerCase() === 'https' ? 443 : undefined;
    s = s.slice(scheme[0].length).replace(/\/.*$/, '');
  }
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else {
    const i = s.lastIndexOf(':');
    if (i > 0 && s.indexOf(':') === i) {
      host = s.slice(0, i);
      portText = s.slice(i + 1);
    } else if (isIP(s) === 6) {
      throw new HarnessError('usage.invalid-value', `target "${safeText(input, 80)}": write an IPv6 target as [ADDRESS]:PORT`);
    } else {
      host = s;
    }
  }
  // Digits only: Number() alone would take "+443", "443.0" and "1e3" (= 1000) as ports.
  const port = portText !== undefined ? (/^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN) : defaultPort;
  if (!host || port === undefined || !Number.isInteger(port) || port < 1 || port > 65535 || !/^[A-Za-z0-9.\-_:%]+$/.test(host)) {
    throw new HarnessError('usage.invalid-value', `target "${safeText(input, 80)}" is not HOST:PORT (e.g. localhost:8443, [::1]:8443)`);
  }
  return { host, port };
}

/** `host:port`, with brackets for IPv6. */
export function formatEndpoint(e: Endpoint): string {
  return isIP(e.host) === 6 ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}
