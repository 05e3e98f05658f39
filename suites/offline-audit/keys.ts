/**
 * The offline audit's key checks (suites/offline-audit.ts lists them with their ids and titles):
 * key file permissions, no private key in a CA bundle, the CA key not shipped, the key belongs to
 * its certificate.
 */
import type { KeyObject, X509Certificate as NodeX509 } from 'node:crypto';
import { isHarnessError } from '../../src/core/errors.js';
import type { CheckVerdict } from '../../src/core/model.js';
import type { Status } from '../../src/core/status.js';
import { keyMatchesCertificate, parsePrivateKey, publicKeyProblem } from '../../src/pki/inspect.js';
import { keyFileMode } from '../../src/rules/permissions.js';
import { spkiSha256, type DiscoveredFile, type FoundKey } from '../../src/audit/discover.js';
import { certBase, describeKey, filesOf, octal, verdict, type FileSet, type FileSetContext } from '../../src/audit/fileset.js';

export function keyPermissions({ set }: FileSetContext): CheckVerdict | undefined {
  const caBundle = set.kind === 'ca' ? set.main : undefined;
  const keyFiles = filesOf(set).filter((f) => f.content.keyLike || f.content.keys.length > 0);
  if (keyFiles.length === 0) return undefined;
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const ev = keyFiles.map((f) => ({
    file: f.display,
    mode: octal(f.mode),
    ownerUid: f.uid,
    ...(uid !== undefined ? { ownedByAuditingUser: f.uid === uid } : {}),
    ...(f.symlinkTo ? { symlinkTo: f.symlinkTo } : {}),
    ...(f.content.keys.some((k) => k.encrypted) ? { encrypted: true } : {}),
  }));
  const open = keyFiles.filter((f) => !keyFileMode(f.mode).ownerOnly);
  if (open.length === 0) {
    return verdict('pass', `${keyFiles.map((f) => `${f.name} (${octal(f.mode)})`).join(', ')}: readable by the owner only.`, { files: ev });
  }
  const f = open[0]!;
  const mode = keyFileMode(f.mode);
  const who = [mode.group ? 'its group' : '', mode.others ? 'every user on the host' : ''].filter(Boolean).join(' and ');
  const k8s = open.some((x) => x.inKubernetesVolume);
  return verdict(
    'fail',
    `${f.name} holds a private key and has mode ${octal(f.mode)}: ${who} can ${mode.writable ? 'read or replace' : 'read'} it${open.length > 1 ? ` (and ${open.length - 1} more key file${open.length > 2 ? 's' : ''})` : ''}.`,
    { files: ev },
    `chmod 600 ${open.map((x) => x.display).join(' ')}${k8s ? ' — in a Kubernetes Secret volume set defaultMode: 0400 (or 0440 with an fsGroup) on the volume instead' : ''}${caBundle && open.includes(caBundle) ? ` — better, take the key out of ${caBundle.name} (see audit.no-key-in-ca-bundle): a CA bundle is meant to be readable` : ''}`,
  );
}

export function noKeyInCaBundle({ set, belongsTo }: FileSetContext): CheckVerdict {
  const f = set.main;
  if (!f.content.keyLike && f.content.keys.length === 0) {
    return verdict('pass', `${f.name} holds certificates only, no private key.`, { file: f.display });
  }
  const keys = f.content.keys.map((k) => {
    const owners = k.key ? belongsTo(k.key) : [];
    return {
      description: describeKey(k),
      ...(k.key ? { publicKeySha256: spkiSha256(k.key) } : {}),
      belongsTo: owners.map((o) => `${o.file.display} (${o.cert.subject.replace(/\n/g, ', ')})`),
    };
  });
  const isCaKey = f.content.keys.some((k) => k.key && f.content.certs.some((c) => keyMatchesCertificate(k.key!, c)));
  return verdict(
    'fail',
    `${f.name} is where the CA bundle belongs, yet it holds ${isCaKey ? "the CA's own private key: anyone given this trust bundle can issue certificates every peer accepts" : 'a private key: every peer given the trust bundle receives that key too'}.`,
    { file: f.display, keys },
    `Remove the private key block from ${f.display} (a CA bundle holds certificates only), keep the key apart with mode 0600, and treat it as compromised if the bundle was ever distributed: ${isCaKey ? 'issue a new CA and re-issue every certificate' : 're-issue the certificate it belongs to'}.`,
  );
}

export function caKeyPresent({ set, files }: FileSetContext): CheckVerdict {
  const caCerts = set.main.content.certs.filter((c) => c.ca);
  const holders = files.filter((f) => f.content.keys.some((k) => k.key && caCerts.some((c) => keyMatchesCertificate(k.key!, c))));
  const named = set.keyFile && !holders.includes(set.keyFile) ? [set.keyFile] : []; // e.g. an encrypted ca-key.pem
  const all = [...holders, ...named];
  if (all.length === 0) {
    return verdict('pass', `No private key of this CA is among the audited files.`, { caFile: set.main.display });
  }
  return verdict(
    'warn',
    `The CA private key is stored with the certificates (${all.map((f) => f.display).join(', ')}): whoever can read it can mint server and client certificates your services trust.`,
    { caFile: set.main.display, caKeyFiles: all.map((f) => f.display) },
    [
      all.some((f) => f !== set.main)
        ? `Move ${all
            .filter((f) => f !== set.main)
            .map((f) => f.name)
            .join(', ')} to offline storage or a secrets manager; deploy only the CA certificate and each service's own certificate and key.`
        : '',
      all.includes(set.main) ? `Take the key out of ${set.main.name} (see audit.no-key-in-ca-bundle).` : '',
    ]
      .filter(Boolean)
      .join(' '),
  );
}

function loadKeys(
  set: FileSet,
  o: Pick<FileSetContext, 'passphrase' | 'passphraseSource'>,
): { file: DiscoveredFile; found: FoundKey; key?: KeyObject; problem?: { status: Status; message: string; remediation?: string } }[] {
  const sources = set.kind === 'leaf' && set.main.content.keys.length > 0 ? [set.main] : set.keyFile ? [set.keyFile] : set.kind === 'key' ? [set.main] : [];
  return sources.flatMap((file) =>
    file.content.keys.map((found) => {
      if (found.key) return { file, found, key: found.key };
      if (found.error)
        return { file, found, problem: { status: 'skip' as Status, message: `${file.name} cannot be parsed (see audit.parse), so it cannot be matched.` } };
      if (o.passphrase === undefined) {
        return {
          file,
          found,
          problem: {
            status: 'skip' as Status,
            message: `${file.name} is encrypted: pass its passphrase with --key-passphrase-env VAR to check that it belongs to the certificate.`,
          },
        };
      }
      try {
        return { file, found, key: parsePrivateKey(found.encoded!, file.name, o.passphrase) };
      } catch (e) {
        const why =
          isHarnessError(e) && e.code === 'pki.bad-passphrase'
            ? `the passphrase from ${o.passphraseSource ?? '--key-passphrase-env'} does not decrypt ${file.name}`
            : `${file.name} cannot be decrypted`;
        return {
          file,
          found,
          problem: {
            status: 'error' as Status,
            message: `${why[0]!.toUpperCase()}${why.slice(1)}, so it cannot be matched.`,
            remediation: 'Check the passphrase (or audit keys with different passphrases in separate runs).',
          },
        };
      }
    }),
  );
}

export function keyMatch(ctx: FileSetContext): CheckVerdict {
  const { set, belongsTo } = ctx;
  const keys = loadKeys(set, ctx);
  if (set.kind === 'key') {
    const k = keys[0];
    if (!k) {
      return verdict('skip', `${set.main.name} holds no parseable private key to match.`, { keyFile: set.main.display });
    } else if (k.problem) {
      return verdict(k.problem.status, k.problem.message, { keyFile: set.main.display }, k.problem.remediation);
    } else {
      // Pairing by public key already ran: this key belongs to no certificate that lacks a key.
      const owners = belongsTo(k.key!);
      return verdict(
        'warn',
        owners.length > 0
          ? `${set.main.name} belongs to ${owners.map((x) => x.file.name).join(', ')}, which already ${owners.length > 1 ? 'have' : 'has'} a key file or holds its key: a second copy is one more secret to protect.`
          : `${set.main.name} belongs to no certificate among the audited files: an unused private key is one more secret to protect.`,
        { keyFile: set.main.display, keyPublicKeySha256: spkiSha256(k.key!), belongsTo: owners.map((x) => x.file.display) },
        `Delete ${set.main.display} if nothing uses it, or audit it together with its certificate.`,
      );
    }
  }
  const cert = set.main.content.certs[0]!;
  const certKeyProblem = publicKeyProblem(cert);
  const base = {
    certificateFile: set.main.display,
    certificateSha256: summarizeFingerprint(cert),
    ...(certKeyProblem ? { certPublicKeyProblem: certKeyProblem } : { certPublicKeySha256: spkiSha256(cert.publicKey) }),
  };
  if (certKeyProblem) {
    return verdict(
      'error',
      `${set.main.name}: the certificate's ${certKeyProblem}, so no private key can be matched with it.`,
      base,
      'Re-issue the certificate with a key on a supported algorithm (ECDSA P-256 or RSA ≥ 2048).',
    );
  }
  if (keys.length === 0 && set.keyFile) {
    const why = set.keyFile.content.unreadable ? 'cannot be read by the auditing user' : 'holds no parseable private key (see audit.parse)';
    return verdict('skip', `${set.keyFile.name} ${why}, so it cannot be matched with ${set.main.name}.`, { ...base, keyFile: set.keyFile.display });
  }
  if (keys.length === 0) {
    const expect = set.role === 'ca' ? '' : ` (e.g. ${certBase(set.main.name) || 'key'}${set.main.name.endsWith('.crt') ? '.key' : '-key.pem'})`;
    return verdict('skip', `No private key for ${set.main.name} among the audited files${expect}.`, base);
  }
  const k = keys[0]!;
  const ev = { ...base, keyFile: k.file.display, pairedBy: k.file === set.main ? 'same file' : (set.pairedBy ?? 'file name') };
  if (k.problem) {
    return verdict(k.problem.status, k.problem.message, ev, k.problem.remediation);
  }
  const keySha = spkiSha256(k.key!);
  if (keyMatchesCertificate(k.key!, cert)) {
    return verdict(
      'pass',
      k.file === set.main ? `The private key in ${set.main.name} belongs to its certificate.` : `${k.file.name} is the private key of ${set.main.name}.`,
      { ...ev, keyPublicKeySha256: keySha },
    );
  }
  const owners = belongsTo(k.key!).filter((x) => x.cert !== cert);
  const whose = owners.length ? ` (it belongs to ${owners.map((x) => x.file.name).join(', ')})` : '';
  return verdict(
    'fail',
    k.file === set.main
      ? `The private key in ${set.main.name} does not belong to its certificate${whose}: a TLS stack refuses to load this pair.`
      : `${k.file.name} is not the private key of ${set.main.name}${whose}: a TLS stack refuses to load this pair.`,
    { ...ev, keyPublicKeySha256: keySha, keyBelongsTo: owners.map((x) => x.file.display) },
    owners.length
      ? `The files look swapped: put the key of ${set.main.name} into ${k.file.name}.`
      : `Deploy the key generated with ${set.main.name}, or re-issue the certificate for this key.`,
  );
}

function summarizeFingerprint(c: NodeX509): string {
  return c.fingerprint256;
}
