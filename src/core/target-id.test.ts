import { describe, expect, it } from 'vitest';
import { TargetIds, targetIds } from './target-id.js';

describe('target ids', () => {
  it.each([
    ['distinct labels are their own ids', ['a:1', 'b:1'], [], ['a:1', 'b:1']],
    ['the same address twice: the second is #2', ['127.0.0.1:8443', '127.0.0.1:8443'], [], ['127.0.0.1:8443', '127.0.0.1:8443#2']],
    ['three times, between others', ['x', 'y', 'x', 'x'], [], ['x', 'y', 'x#2', 'x#3']],
    ['a label that looks like a generated id is never taken twice', ['a#2', 'a', 'a'], [], ['a#2', 'a', 'a#3']],
    ['… nor when it comes after the id it looks like', ['a', 'a', 'a#2'], [], ['a', 'a#2', 'a#2#2']],
    ['ids a report already holds are skipped', ['svc:443', 'secret/ns/x'], ['svc:443'], ['svc:443#2', 'secret/ns/x']],
    ['empty', [], [], []],
  ] as [string, string[], string[], string[]][])('%s', (_what, labels, taken, ids) => {
    expect(targetIds(labels, taken)).toEqual(ids);
  });

  it('is the same on every run of the same list (derived from the order only) and always unique', () => {
    const labels = Array.from({ length: 200 }, (_, i) => `h${i % 7}:${i % 3 === 0 ? 443 : 8443}`);
    const ids = targetIds(labels);
    expect(targetIds(labels)).toEqual(ids);
    expect(new Set(ids).size).toBe(labels.length);
    for (const [i, id] of ids.entries()) expect(id === labels[i] || id.startsWith(`${labels[i]}#`)).toBe(true);
  });

  it('one allocator across additions: targets added to a report later stay unique', () => {
    const ids = new TargetIds();
    expect([ids.next('a'), ids.next('b'), ids.next('a')]).toEqual(['a', 'b', 'a#2']);
    expect(ids.next('a')).toBe('a#3');
  });
});
