import { describe, expect, it } from 'vitest';
import { ALERT_MEANINGS, alertLabel, alertOf, ownCertificateAlert, ownCertificateFault } from './alerts.js';

describe('what an alert means (one table)', () => {
  it.each([
    [44, { topic: 'client-cert-revoked', state: 'is revoked', fix: 'reissue', label: 'alert 44 certificate_revoked' }],
    [45, { topic: 'client-cert-expired-own', state: 'has expired', fix: 'renew', serverClock: true, label: 'alert 45 certificate_expired' }],
  ])('alert %i names a fault of the client certificate itself', (code, want) => {
    expect(ownCertificateFault(alertOf(code))).toEqual(want);
    expect(ownCertificateAlert(want.topic as 'client-cert-revoked')).toBe(want.label);
  });

  it.each([42, 46, 48, 49, 116, 0])('alert %i says nothing about the certificate itself', (code) => {
    expect(ownCertificateFault(alertOf(code))).toBeUndefined();
  });

  it('no alert, no fault', () => {
    expect(ownCertificateFault(undefined)).toBeUndefined();
  });

  it.each([40, 70, 71, 112])('alert %i in answer to the ClientHello has a hint', (code) => {
    expect(ALERT_MEANINGS[code]?.clientHello).toMatch(/--servername|--tls-min/);
  });

  it('alert 120 refuses the protocols offered by ALPN, not the client', () => {
    expect(ALERT_MEANINGS[120]).toEqual({ alpnRefusal: true });
  });

  it('labels an alert by code and name, an unknown one too', () => {
    expect(alertLabel(alertOf(116))).toBe('alert 116 certificate_required');
    expect(alertLabel(alertOf(250))).toBe('alert 250 unknown(250)');
  });
});
