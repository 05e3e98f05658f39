// The cli-table3 fix of table.ts (the cell's text set aside while a line is drawn) draws exactly
// what cli-table3 itself draws: the same tables rendered by a fresh, unpatched copy of the package.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type TableType from 'cli-table3';
import { Table } from './table.js';

const require = createRequire(import.meta.url);

/** A fresh copy of cli-table3, loaded again from its files: not patched. */
function pristine(): typeof TableType {
  for (const k of Object.keys(require.cache)) if (k.includes('/cli-table3/')) delete require.cache[k];
  return require('cli-table3') as typeof TableType;
}

const long = `a trusted-CA certificate with CA:TRUE used as a client leaf was accepted: the request was served: HTTP/1.1 200 OK\n→ Refuse CA certificates (CA:TRUE) presented as client certificates. ${'Common stacks: nginx: no directive for it, so refuse it in the application; '.repeat(6)}…`;
const TABLES: { options: ConstructorParameters<typeof TableType>[0]; rows: string[][] }[] = [
  {
    options: { head: ['Status', 'Check', 'Finding'], style: { head: [], border: [] }, wordWrap: true, colWidths: [8, 40, 70] },
    rows: [
      ['WARN', 'chain.rejects-ca-as-client', long],
      ['PASS', 'reject.no-client-cert', 'refused at the handshake'],
    ],
  },
  {
    options: { head: ['', 'Aspect', 'Finding'], style: { head: ['cyan'], border: ['grey'] }, wordWrap: true, colWidths: [7, 24, 50] },
    rows: [['\u001b[31mFAIL\u001b[39m', 'Without a client cert', `served: ${'x'.repeat(120)} 日本語の名前 and more words\n\u001b[2msecond line\u001b[22m`]],
  },
  {
    options: { head: ['#', 'Subject'], style: { head: [], border: [] }, wordWrap: true, colWidths: [4, 12] },
    rows: [['1', 'CN=averyveryverylongname, O=x\nSAN: a.example, b.example']],
  },
];

describe('cli-table3 with the text set aside while a line is drawn', () => {
  it('draws what cli-table3 draws', () => {
    const ours = TABLES.map(({ options, rows }) => {
      const t = new Table(options);
      t.push(...rows);
      return t.toString();
    });
    const Original = pristine();
    expect(Original).not.toBe(Table);
    const theirs = TABLES.map(({ options, rows }) => {
      const t = new Original(options);
      t.push(...rows);
      return t.toString();
    });
    expect(ours).toEqual(theirs);
    expect(ours[0]).toContain('│ WARN   │ chain.rejects-ca-as-client');
  });
});
