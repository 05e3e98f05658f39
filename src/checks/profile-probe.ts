// The probe of one crafted certificate profile (crafted.<id>, docs/CONFORMANCE.md "crafted-profiles"):
// its control and the crafted certificate minted from the same CA, each presented once per run.
import { craftedProfile, mintControl, mintCrafted } from '../pki/crafted-profiles.js';
import type { Credential, MintOptions } from '../pki/generate.js';
import type { Control } from '../probe/controls.js';
import type { ProbeOptions, ProbeOutcome } from '../probe/tls-probe.js';
import type { CheckContext } from './types.js';

/** What the run context lends the profile probe: its memo, shared minting, CA, valid-client template and probe. */
export interface ProfileProbeDeps {
  once: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  shared: (key: string, mint: () => Promise<Credential>) => Promise<Credential>;
  issuer: () => Promise<Credential | { skip: string }>;
  validClient: (ca: Credential) => MintOptions;
  probe: (extra: Partial<ProbeOptions>) => Promise<ProbeOutcome>;
  now: () => Date;
}

/** The control a profile is judged against, in the words of an inconclusive verdict. */
const CONTROL_WHAT = 'a control certificate minted from the same CA, without the crafted property';
// A server checking every CA's revocation refuses a control under the harness's own intermediate: say why.
const CHAIN_CONTROL_WHAT =
  'a control certificate minted from the same CA under an intermediate minted in this run (no CRL or OCSP responder the server knows covers it), without the crafted property';

export function profileProbe(d: ProfileProbeDeps, id: string): ReturnType<CheckContext['withProfile']> {
  return d.once(`withProfile:${id}`, async () => {
    const p = craftedProfile(id);
    const ca = await d.issuer();
    if (!p || 'skip' in ca) return { skip: p ? (ca as { skip: string }).skip : `no crafted profile ${id}` };
    const env = { ca, now: d.now() };
    const na = p.notApplicable?.(env);
    if (na) return { skip: `not applicable: ${na}` };
    const made = await d.shared(`profileControl:${p.control}\u0000${ca.certPem}`, async () => {
      const c = await mintControl(p.control, ca, d.validClient(ca));
      return Object.assign(c.control, { recipe: c });
    });
    const recipe = (made as typeof made & { recipe: Awaited<ReturnType<typeof mintControl>> }).recipe;
    const crafted = await d.shared(`profile:${id}\u0000${ca.certPem}`, () => mintCrafted(p, env, recipe));
    const control = () =>
      d.once(`profileControlProbe:${p.control}`, async (): Promise<Control> => ({
        what: p.control === 'leaf' || p.control === 'spiffe' ? CONTROL_WHAT : CHAIN_CONTROL_WHAT,
        source: 'minted',
        outcome: await d.probe({ cert: made.chainPem, key: made.keyPem }),
      }));
    // Our own client refuses to load a SHA-1-signed certificate above security level 0.
    const weak = p.weakClient ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {};
    return { outcome: await d.probe({ cert: crafted.chainPem, key: crafted.keyPem, ...weak }), crafted, controlCert: made, control };
  });
}
