// What every JSON report (schemaVersion 2) holds about its targets, whichever command wrote it:
// each target's `id` is unique and comes first; each result names one of them as `targetId`, first,
// then the target's label (`target`), its name.
import { expect } from 'vitest';

interface V2 {
  schemaVersion: number;
  targets: Record<string, unknown>[];
  results: Record<string, unknown>[];
}

export function expectTargetIds(doc: unknown): void {
  const j = doc as V2;
  expect(j.schemaVersion).toBe(2);
  const ids = j.targets.map((t) => t.id);
  expect(new Set(ids).size, `target ids: ${ids.join(', ')}`).toBe(ids.length);
  for (const t of j.targets) {
    expect(Object.keys(t)[0]).toBe('id');
    expect(typeof t.id).toBe('string');
  }
  const names = new Map(j.targets.map((t) => [t.id, t.name]));
  for (const r of j.results) {
    expect(Object.keys(r).slice(0, 2)).toEqual(['targetId', 'target']);
    expect(names.has(r.targetId), `result ${String(r.check)} names target ${String(r.targetId)}`).toBe(true);
    expect(r.target).toBe(names.get(r.targetId));
  }
}
