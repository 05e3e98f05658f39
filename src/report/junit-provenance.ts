/**
 * The JUnit testsuites' provenance and source properties (docs/evidence.md, docs/fleet.md): who
 * ran the run, where, with which versions; in a fleet report, the source report each target came
 * from and that report's SHA-256. Values are escaped by the JUnit writer.
 */
import type { MergeSource, RunReport } from '../core/model.js';

/** The source a target of a fleet report came from: the longest label prefixing its id. */
export function sourceOf(sources: readonly MergeSource[], targetId: string): MergeSource | undefined {
  let best: MergeSource | undefined;
  for (const s of sources) if (targetId.startsWith(`${s.label}/`) && (!best || s.label.length > best.label.length)) best = s;
  return best;
}

/** `[name, value]` properties of one target's testsuites. */
export function provenanceProperties(run: RunReport, targetId: string): [string, string][] {
  const props: [string, string][] = [];
  const p = run.provenance;
  if (p) {
    props.push(['provenance.operator', p.operator], ['provenance.host', p.host]);
    props.push(['provenance.versions', `mtls-harness ${p.versions.tool}; node ${p.versions.node}; openssl ${p.versions.openssl}`]);
    if (p.config) props.push(['provenance.config', `${p.config.path} sha256:${p.config.sha256}`]);
  }
  const source = run.sources ? sourceOf(run.sources, targetId) : undefined;
  if (source) {
    props.push(['source', source.label], ['source.file', source.file], ['source.sha256', source.sha256]);
    if (source.provenance) props.push(['source.operator', source.provenance.operator], ['source.host', source.provenance.host]);
  }
  return props;
}
