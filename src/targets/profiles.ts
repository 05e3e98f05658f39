/** Reference profiles of CONFORMANCE.md: one configuration each, expressed by every implementation that can. */
export const PROFILES = [
  'strict',
  'optional-client-cert',
  'no-client-auth',
  'trust-any-client',
  'accept-expired-client',
  'wrong-san-server',
  'cn-only-server',
  'incomplete-chain',
  'expiring-server',
  'expired-server',
  'rotation-graceful',
  'rotation-restart',
] as const;

export type ProfileName = (typeof PROFILES)[number];

export const PROFILE_DESCRIPTIONS: Readonly<Record<ProfileName, string>> = {
  strict: 'requires a client cert chaining to the fixture CA; full chain; SAN covers localhost, 127.0.0.1',
  'optional-client-cert': 'requests a client cert, serves without one (an invalid one is still refused)',
  'no-client-auth': 'never requests a client cert',
  'trust-any-client': 'requires a client cert, does not verify it',
  'accept-expired-client': 'verifies the client chain but not its validity dates',
  'wrong-san-server': 'server cert SAN is wrong.example',
  'cn-only-server': 'server cert has no SAN',
  'incomplete-chain': 'leaf issued by an intermediate the server does not send',
  'expiring-server': 'server cert expires in 3 days',
  'expired-server': 'server cert expired yesterday',
  'rotation-graceful': 'rotates with the implementation\'s graceful reload',
  'rotation-restart': 'rotates by stopping and starting the process',
};

export function isProfileName(s: string): s is ProfileName {
  return (PROFILES as readonly string[]).includes(s);
}
