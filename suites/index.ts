import type { Suite } from '../src/checks/types.js';
import { chainValidation } from './chain-validation.js';
import { expiry } from './expiry.js';
import { handshakeWithCert } from './handshake-with-cert.js';
import { rejectionWithoutCert } from './rejection-without-cert.js';
import { rotationContinuity } from './rotation-continuity.js';
import { sanValidation } from './san-validation.js';

/** The server-under-test catalogue of CONFORMANCE.md, in report order (rotation last: it changes the target). */
export const SUITES: readonly Suite[] = [handshakeWithCert, rejectionWithoutCert, chainValidation, sanValidation, expiry, rotationContinuity];
