// Test-only preload for the built CLI (`node --import` via NODE_OPTIONS; nothing in src/ knows it):
// reading the SHA-256 fingerprint of a certificate whose subject holds MTLS_TEST_THROW_SUBJECT
// throws, i.e. a bug deep in one file's checks during `audit` (synchronous, so it reaches the
// command, not process 'uncaughtException').
import { X509Certificate } from 'node:crypto';

const marker = process.env.MTLS_TEST_THROW_SUBJECT;
const desc = Object.getOwnPropertyDescriptor(X509Certificate.prototype, 'fingerprint256');
Object.defineProperty(X509Certificate.prototype, 'fingerprint256', {
  ...desc,
  get() {
    if (marker && this.subject.includes(marker)) throw new Error('injected: reading a fingerprint threw');
    return desc.get.call(this);
  },
});
