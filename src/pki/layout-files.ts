/**
 * The `certs init` layouts and the files of each: the file names of the stacks in shared/seeds, so
 * the output drops straight into a deployment that already expects them. Data only, so the offline
 * audit recognises the layouts (src/audit/discover.ts) without loading what writes them (layouts.ts).
 */
export const LAYOUTS = ['default', 'gufo', 'kong', 'nova', 'per-service'] as const;
export type LayoutName = (typeof LAYOUTS)[number];

/** A layout with one server and one client identity (every layout but per-service). */
export type TwoPartyLayout = Exclude<LayoutName, 'per-service'>;

/** One file of a two-party layout: its name, whose credential it holds, which part of it, and whether `audit` needs it to recognise the layout. */
export interface LayoutFile {
  name: string;
  of: 'ca' | 'server' | 'client';
  part: 'cert' | 'key' | 'cert+key';
  /** Written, but not needed to recognise the layout (src/audit/discover.ts). */
  optional?: true;
}

const file = (name: string, of: LayoutFile['of'], part: LayoutFile['part'], optional?: 'optional'): LayoutFile => ({
  name,
  of,
  part,
  ...(optional ? { optional: true as const } : {}),
});

/** The files of each two-party layout, in the order written: `certs init` writes them, `audit` recognises them. */
export const TWO_PARTY_FILES: Readonly<Record<TwoPartyLayout, readonly LayoutFile[]>> = {
  default: [
    file('ca.pem', 'ca', 'cert'),
    file('ca-key.pem', 'ca', 'key'),
    file('server.pem', 'server', 'cert'),
    file('server-key.pem', 'server', 'key'),
    file('client.pem', 'client', 'cert'),
    file('client-key.pem', 'client', 'key'),
  ],
  // `gufo cert init` writes no CA key: the CA cannot mint further identities from this directory.
  gufo: [
    file('ca.pem', 'ca', 'cert'),
    file('server.pem', 'server', 'cert'),
    file('server-key.pem', 'server', 'key'),
    file('client.pem', 'client', 'cert'),
    file('client-key.pem', 'client', 'key'),
  ],
  kong: [
    file('ca.crt', 'ca', 'cert'),
    file('ca.key', 'ca', 'key', 'optional'),
    file('server.crt', 'server', 'cert'),
    file('server.key', 'server', 'key'),
    file('kong-client.crt', 'client', 'cert'),
    file('kong-client.key', 'client', 'key'),
    file('kong-client.pem', 'client', 'cert+key', 'optional'),
  ],
  // The files of the cert-manager Secret grpc-tls-certs mounted at /etc/grpc-tls/.
  nova: [
    file('ca.crt', 'ca', 'cert'),
    file('tls.crt', 'server', 'cert'),
    file('tls.key', 'server', 'key'),
    file('client.crt', 'client', 'cert'),
    file('client.key', 'client', 'key'),
  ],
};
