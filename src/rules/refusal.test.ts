import { describe, expect, it } from 'vitest';
import { refusalEnforces, refusalStanding, type RefusalLayer, type RefusalStanding } from './refusal.js';

describe('where a refusal counts as enforcement', () => {
  it.each<[RefusalLayer, boolean, RefusalStanding, boolean]>([
    ['handshake', false, 'tls', true],
    ['handshake', true, 'tls', true],
    ['post-handshake', false, 'tls', true],
    ['post-handshake', true, 'tls', true],
    ['application', false, 'application', true],
    ['application', true, 'application-only', false],
  ])('refused at %s, requireTlsRejection %s: %s', (layer, requireTlsRejection, standing, enforces) => {
    expect(refusalStanding(layer, { requireTlsRejection })).toBe(standing);
    expect(refusalEnforces(layer, { requireTlsRejection })).toBe(enforces);
  });
});
