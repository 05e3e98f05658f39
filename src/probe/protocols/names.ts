/**
 * The names of the protocols the probe speaks, in one list: `Protocol` is its type, and the
 * registry (`index.ts`) must have exactly one module per name (the compiler holds it to that).
 * A leaf file, so that the option and classification types can name a protocol without importing
 * the modules (which import them).
 */
export const PROTOCOLS = ['https', 'tls', 'grpc', 'postgres', 'mysql', 'redis', 'mqtt'] as const;

/** A protocol of the registry: how TLS starts, what is sent after it and what the answer means. */
export type Protocol = (typeof PROTOCOLS)[number];

/** Whether `s` names a protocol of the registry. */
export function isProtocol(s: string): s is Protocol {
  return (PROTOCOLS as readonly string[]).includes(s);
}
