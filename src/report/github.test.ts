import { describe, expect, it } from 'vitest';
import { annotationLines, escapeData, escapeProperty, mdText, parseGithubInput, stepSummary, type GithubReportInput } from './github.js';

const input = (over: Partial<GithubReportInput['results'][number]>[], source?: { file: string; line: number }): GithubReportInput => {
  const results = over.map((o, i) => ({ targetId: 't', check: `c.${i}`, status: 'fail' as const, message: 'm', ...o }));
  return {
    targets: [{ id: 't', ...(source ? { source } : {}) }],
    results,
    summary: {
      pass: 0,
      skip: 0,
      ...Object.fromEntries(['warn', 'fail', 'error'].map((s) => [s, results.filter((r) => r.status === s).length])),
    } as GithubReportInput['summary'],
  };
};

describe('workflow command escaping (GitHub toolkit rules)', () => {
  it('data: %, CR, LF; properties also : and ,', () => {
    expect(escapeData('100%\r\n::x')).toBe('100%25%0D%0A::x');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
  });
  it('other controls and bidi characters are shown as ?', () => {
    expect(escapeData('a\u001b[31mb\u202ec\u0000')).toBe('a?[31mb?c?');
  });
  it('no report text starts a workflow command of its own', () => {
    const lines = annotationLines(input([{ message: 'x\n::error::pwned\r\n::add-mask::y', targetId: 't' }]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('::error title=fail%3A c.0 on t::t: x%0A::error::pwned%0D%0A::add-mask::y');
  });
});

describe('annotations', () => {
  it('fail → error, warn → warning, error → notice (inconclusive), pass and skip none; on the file line when repository-relative', () => {
    const lines = annotationLines(
      input([{ status: 'fail', remediation: 'do X' }, { status: 'warn' }, { status: 'error' }, { status: 'pass' }, { status: 'skip' }], {
        file: 'ci/mtls.yaml',
        line: 9,
      }),
    );
    expect(lines).toEqual([
      '::error file=ci/mtls.yaml,line=9,title=fail%3A c.0 on t::t: m%0AFix: do X',
      '::warning file=ci/mtls.yaml,line=9,title=warn%3A c.1 on t::t: m',
      '::notice file=ci/mtls.yaml,line=9,title=inconclusive%3A c.2 on t::t: c.2 could not be judged (not a finding of the server): m',
    ]);
  });
  it('a file outside the repository (absolute, ..) is not an annotation location', () => {
    expect(annotationLines(input([{}], { file: '/etc/mtls.yaml', line: 3 }))[0]).toMatch(/^::error title=/);
    expect(annotationLines(input([{}], { file: '../mtls.yaml', line: 3 }))[0]).toMatch(/^::error title=/);
  });
  it('at most max of each kind, then one notice', () => {
    const lines = annotationLines(input([{}, {}, {}, { status: 'warn' }]), 2);
    expect(lines.map((l) => l.slice(0, l.indexOf(' ')))).toEqual(['::error', '::error', '::warning', '::notice']);
    expect(lines[3]).toContain('1 more findings');
  });
});

describe('step summary', () => {
  it('escapes markdown and HTML from the report', () => {
    expect(mdText('<img src=x> [a](https://e.x) `c` *b* |')).toBe('&lt;img src=x&gt; \\[a\\](https\\://e.x) \\`c\\` \\*b\\* \\|');
    const s = stepSummary(input([{ targetId: '<b>x</b>', message: '![i](http://a)' }]));
    expect(s).not.toContain('<b>');
    expect(s).toContain('\\!\\[i\\](http\\://a)');
  });
});

describe('the report read', () => {
  it('refuses what is not a JSON report, naming the file', () => {
    expect(() => parseGithubInput('nope', 'r.json')).toThrow(/r\.json: not a JSON report \(not JSON\)/);
    expect(() => parseGithubInput('{"schemaVersion":2,"targets":[],"results":[{"targetId":"t"}]}', 'r.json')).toThrow(/results\[0\] is not a result/);
  });
  it('counts from the results, not from a summary the file claims', () => {
    const r = parseGithubInput(
      JSON.stringify({
        schemaVersion: 2,
        targets: [{ id: 't' }],
        results: [{ targetId: 't', check: 'c', status: 'fail', message: 'm' }],
        summary: { fail: 0 },
      }),
      'r.json',
    );
    expect(r.summary.fail).toBe(1);
  });
});

describe('waived findings (docs/waivers.md)', () => {
  it('a notice saying who waived it until when, never an error; the verdict leaves it out', () => {
    const waived = input([{ status: 'fail', waiver: { reason: 'legacy, SEC-1', owner: 'team', expires: '2027-01-31' } }, { status: 'pass' }]);
    expect(annotationLines(waived)).toEqual(['::notice title=waived fail%3A c.0 on t::t: m%0AWaived by team until 2027-01-31: legacy, SEC-1']);
    const s = stepSummary(waived);
    expect(s).toMatch(/^## mtls-harness: ✅ pass\n/);
    expect(s).toContain('(1 waived)');
    expect(s).toContain('❌ fail (waived)');
  });
});
