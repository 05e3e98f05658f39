/** (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * The report header's provenance rows (docs/evidence.md): who ran the command, where, with which
 * versions, the config file and the input files with their digests and certificate fingerprints. */
import type { Provenance } from '../../core/model.js';

export function ProvenanceRows({ p }: { p: Provenance }) {
  return (
    <>
      <tr>
        <th>Operator</th>
        <td class="wrap">
          {p.operator}
          <span class="muted">{p.operatorFrom === 'MTLS_OPERATOR' ? ' (from $MTLS_OPERATOR)' : ' (user@host of the process)'}</span>
        </td>
      </tr>
      <tr>
        <th>Ran on</th>
        <td class="wrap">{`${p.host} · ${p.platform} · in ${p.cwd}`}</td>
      </tr>
      <tr>
        <th>Versions</th>
        <td class="wrap">{`mtls-harness ${p.versions.tool} · Node.js ${p.versions.node} · OpenSSL ${p.versions.openssl}`}</td>
      </tr>
      {p.config ? (
        <tr>
          <th>Config file</th>
          <td class="wrap">
            <code>{p.config.path}</code>
            <br />
            <code class="muted">{`SHA-256 ${p.config.sha256}`}</code>
          </td>
        </tr>
      ) : null}
      {p.files.length > 0 ? (
        <tr>
          <th>Input files</th>
          <td class="wrap">
            {p.files.map((f) => (
              <div data-input-file={f.from}>
                <code>{`${f.from} ${f.path}`}</code>
                {f.sha256 ? <code class="muted">{` SHA-256 ${f.sha256}`}</code> : <span class="muted">{` (${f.note ?? 'no digest'})`}</span>}
                {(f.certificates ?? []).map((c) => (
                  <div class="muted small">{`certificate ${c.subject}: ${c.fingerprintSha256}`}</div>
                ))}
              </div>
            ))}
          </td>
        </tr>
      ) : null}
    </>
  );
}
