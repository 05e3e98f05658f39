import type { PlaintextOutcome } from '../src/probe/plaintext.js';
import { protocolModule } from '../src/probe/protocols/index.js';
import { adviceFor, mustBeRefused } from '../src/checks/judge.js';
import type { Suite } from '../src/checks/types.js';

export const rejectionWithoutCert: Suite = {
  id: 'rejection-without-cert',
  title: 'Rejection without a client certificate',
  kind: 'server',
  checks: [
    {
      id: 'reject.no-client-cert',
      title: 'A client without a certificate is refused',
      async run(ctx) {
        const o = await ctx.noCert();
        return mustBeRefused(o, () => ctx.control('noCert'), ctx.target, 'a client offering no certificate', {
          status: 'fail',
          remediation: o.rejectedAt === 'accepted' ? await adviceFor(ctx, 'require-client-cert') : '',
        });
      },
    },
    {
      id: 'reject.plaintext',
      title: 'Plaintext HTTP/1.1 and h2c are not served',
      async run(ctx) {
        const t = ctx.target;
        const mod = protocolModule(t.protocol);
        // A database or broker port answers its own plaintext protocol, not HTTP: an HTTP request it
        // closes on proves nothing about whether it serves its protocol without TLS.
        if (!mod.plaintextHttp)
          return {
            status: 'skip',
            message: `not tested for ${mod.title}: the harness sends plaintext HTTP/1.1 and h2c, not plaintext ${mod.title}, so it cannot tell whether this port serves ${mod.title} without TLS (check that the server refuses non-TLS connections, e.g. hostssl-only pg_hba.conf lines, REQUIRE SSL, a TLS-only listener)`,
          };
        const ports = [t.port, ...t.plaintextPorts];
        const attempts = ports.flatMap((port) => (['http1', 'h2c-upgrade', 'h2c-prior-knowledge'] as const).map((kind) => ({ port, kind })));
        const outcomes: (PlaintextOutcome & { port: number })[] = await Promise.all(
          attempts.map(async ({ port, kind }) => ({ port, ...(await ctx.plaintext(port, kind)) })),
        );
        const evidence = {
          attempts: outcomes.map((o) => ({
            port: o.port,
            kind: o.kind,
            served: o.served,
            reason: o.reason,
            ...(o.statusLine ? { statusLine: o.statusLine } : {}),
          })),
        };
        const served = outcomes.filter((o) => o.served);
        if (served.length > 0) {
          const s = served[0]!;
          return {
            status: 'fail',
            message: `port ${s.port} served a plaintext ${s.kind} request: ${s.reason}`,
            remediation: 'close plaintext listeners or redirect them to nothing that serves data; only the mTLS port should answer',
            evidence,
          };
        }
        if (outcomes[0]!.unreachable)
          return { status: 'error', message: `could not connect to port ${t.port} to send a plaintext request: ${outcomes[0]!.reason}`, evidence };
        return {
          status: 'pass',
          message: `plaintext HTTP/1.1 and h2c requests were not served on port(s) ${ports.join(', ')} (${outcomes[0]!.reason})`,
          evidence,
        };
      },
    },
  ],
};
