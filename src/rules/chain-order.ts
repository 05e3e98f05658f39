/**
 * Chain order (RFC 8446 §4.4.2, RFC 5246 §7.4.2): the sender's certificate first, each following
 * one certifying the one before, nothing unrelated; and what counts as self-signed. Pure: results,
 * never a throw (a signature that cannot be checked is "not issued by").
 */
import type { X509Certificate } from 'node:crypto';
import { isIssuedBy, oneLine } from '../pki/inspect.js';

/** Self-signed: it names itself as issuer and its own key verifies its signature (a root, or a self-signed leaf). */
export function isSelfSigned(c: X509Certificate): boolean {
  return c.subject === c.issuer && isIssuedBy(c, c);
}

/** Result of checking a presented chain's order. */
export interface ChainOrderReport {
  ok: boolean;
  /** Leaf first and each certificate issued by the next one. */
  ordered: boolean;
  /** Self-signed root sent along (allowed, but useless). */
  rootSent: boolean;
  /** Indexes of certificates that certify nothing in the chain. */
  unrelated: number[];
  issues: string[];
}

/** Checks that a chain is leaf first, each certificate issued by the next, with nothing unrelated. */
export function checkChainOrder(chain: readonly X509Certificate[]): ChainOrderReport {
  const issues: string[] = [];
  let ordered = true;
  const used = new Set<number>([0]);
  for (let i = 0; i + 1 < chain.length; i++) {
    if (isIssuedBy(chain[i]!, chain[i + 1]!)) {
      used.add(i + 1);
    } else {
      ordered = false;
      issues.push(`certificate #${i + 1} (${oneLine(chain[i]!.subject)}) is not issued by certificate #${i + 2} (${oneLine(chain[i + 1]!.subject)})`);
    }
  }
  // Certificates that issue nothing in the chain are unrelated extras (out-of-order ones are still related).
  const unrelated: number[] = [];
  for (let j = 1; j < chain.length; j++) {
    if (used.has(j)) continue;
    if (!chain.some((c, i) => i !== j && isIssuedBy(c, chain[j]!))) unrelated.push(j);
  }
  for (const j of unrelated) issues.push(`certificate #${j + 1} (${oneLine(chain[j]!.subject)}) issues nothing in the chain`);
  const last = chain[chain.length - 1];
  const rootSent = chain.length > 1 && last !== undefined && isSelfSigned(last);
  return { ok: ordered && unrelated.length === 0, ordered, rootSent, unrelated, issues };
}

/**
 * When the path stops at an issuer that was neither sent nor trusted: the server sent CA
 * certificates above its leaf, so what is missing is more likely the root (a private CA the trust
 * store lacks) than an intermediate the server should send.
 */
export function likelyMissingRoot(chain: readonly { ca: boolean }[]): boolean {
  return chain.length > 1 && chain[chain.length - 1]!.ca;
}
