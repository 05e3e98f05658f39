import { describe, expect, it } from 'vitest';
import { keyFileMode, type KeyFileMode } from './permissions.js';

describe('private key file modes', () => {
  it.each<[number, KeyFileMode]>([
    [0o400, { ownerOnly: true, group: false, others: false, writable: false }],
    [0o600, { ownerOnly: true, group: false, others: false, writable: false }],
    [0o100600, { ownerOnly: true, group: false, others: false, writable: false }],
    [0o440, { ownerOnly: false, group: true, others: false, writable: false }],
    [0o640, { ownerOnly: false, group: true, others: false, writable: false }],
    [0o644, { ownerOnly: false, group: true, others: true, writable: false }],
    [0o604, { ownerOnly: false, group: false, others: true, writable: false }],
    [0o660, { ownerOnly: false, group: true, others: false, writable: true }],
    [0o666, { ownerOnly: false, group: true, others: true, writable: true }],
    [0o601, { ownerOnly: false, group: false, others: true, writable: false }],
  ])('%o', (mode, want) => {
    expect(keyFileMode(mode)).toEqual(want);
  });
});
