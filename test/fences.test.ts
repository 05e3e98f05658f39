// Layer fences (issue 17). Every production .ts/.tsx file under src/ and suites/ belongs to a layer,
// and its imports — static `import … from`, `export … from`, `import type`, dynamic `import()` and
// `import('…')` types — go down the layer order or sideways within a rank, never up. No file-level
// import cycle at all. The heavy optional packages are loaded by the files that need them only, and
// only with `await import()` (a type-only import is erased and allowed), so no other command pays
// for them. Tests (*.test.ts) are not fenced: a test may set up whatever it needs.
//
// The same `checkGraph` judges the real graph and a synthetic one with every kind of violation, so
// the fences are known to fail when someone adds an upward import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * The layer order, lowest first. A layer may import its own rank and the ranks below. `api` is
 * src/index.ts (the public API); `suites` is the suites/ folder; every other layer is src/<name>/.
 * `rules` holds the pure verdict rules (src/rules/), beside the probes. `app` (src/app/) is the
 * application a command and the library share: a run resolved, started, run and reported.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['core'],
  ['config', 'pki', 'io'],
  ['rules', 'probe'],
  ['targets'],
  ['checks', 'rotation'],
  ['runner'],
  ['audit', 'client-test', 'suites'],
  ['report'],
  ['app'],
  ['cli', 'api'],
];

/** Packages loaded only by these files, and only with `await import()`. */
export const LAZY_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  '@kubernetes/client-node': ['src/targets/k8s/api.ts'],
  testcontainers: ['src/targets/reference/container.ts'],
  'playwright-core': ['src/report/pdf.ts'],
  '@grpc/grpc-js': ['src/probe/grpc.ts', 'src/targets/reference/grpc.ts'],
};

/**
 * What this step could not fix yet, each with its reason: an entry is the exact violation text.
 * The goal is an empty list; an entry that no longer occurs fails the test (take it out).
 */
export const EXCEPTIONS: readonly { violation: string; reason: string }[] = [];

export type ImportKind = 'static' | 'type' | 'dynamic';
export interface Edge {
  /** A repository-relative file (`src/core/status.ts`), or a package name for a bare specifier. */
  to: string;
  kind: ImportKind;
  internal: boolean;
}
export type Graph = ReadonlyMap<string, readonly Edge[]>;

const RANK = new Map(LAYERS.flatMap((names, rank) => names.map((n) => [n, rank] as const)));

export function layerOf(file: string): string | undefined {
  if (file === 'src/index.ts') return 'api';
  const parts = file.split('/');
  if (parts[0] === 'suites') return 'suites';
  if (parts[0] === 'src' && parts.length > 2 && RANK.has(parts[1]!) && parts[1] !== 'api' && parts[1] !== 'suites') return parts[1];
  return undefined;
}

/** The module specifiers of one source text, with how each is imported (comments and strings are not imports). */
export function importsOf(fileName: string, text: string): { specifier: string; kind: ImportKind }[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: { specifier: string; kind: ImportKind }[] = [];
  const allTypes = (els: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>) => els.length > 0 && els.every((e) => e.isTypeOnly);
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && allTypes(c.namedBindings.elements)));
      out.push({ specifier: n.moduleSpecifier.text, kind: typeOnly ? 'type' : 'static' });
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const typeOnly = n.isTypeOnly || (!!n.exportClause && ts.isNamedExports(n.exportClause) && allTypes(n.exportClause.elements));
      out.push({ specifier: n.moduleSpecifier.text, kind: typeOnly ? 'type' : 'static' });
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference) && ts.isStringLiteral(n.moduleReference.expression)) {
      out.push({ specifier: n.moduleReference.expression.text, kind: n.isTypeOnly ? 'type' : 'static' });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = n.arguments[0];
      // A computed specifier cannot be fenced: it is reported as such.
      out.push({ specifier: arg && ts.isStringLiteralLike(arg) ? arg.text : '<computed>', kind: 'dynamic' });
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push({ specifier: n.argument.literal.text, kind: 'type' });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The import graph of src/ and suites/ (production files), relative specifiers resolved to files. */
export function buildGraph(): Graph {
  const files = [...sourceFiles('src'), ...sourceFiles('suites')].sort();
  const graph = new Map<string, Edge[]>();
  for (const file of files) {
    const edges: Edge[] = [];
    for (const { specifier, kind } of importsOf(file, readFileSync(path.join(ROOT, file), 'utf8'))) {
      if (specifier.startsWith('node:')) continue;
      if (!specifier.startsWith('.')) {
        edges.push({ to: specifier, kind, internal: false });
        continue;
      }
      const base = path.posix.join(path.posix.dirname(file), specifier);
      const stem = base.replace(/\.(js|jsx|ts|tsx)$/, '');
      const found = [`${stem}.ts`, `${stem}.tsx`, base, `${base}/index.ts`].find((f) => {
        try {
          return statSync(path.join(ROOT, f)).isFile();
        } catch {
          return false;
        }
      });
      edges.push({ to: found ?? base, kind, internal: true });
    }
    graph.set(file, edges);
  }
  return graph;
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Every fence the graph breaks, one sentence each (sorted, stable: the exception list matches them exactly). */
export function checkGraph(graph: Graph): string[] {
  const out: string[] = [];
  for (const [file, edges] of graph) {
    const from = layerOf(file);
    if (from === undefined) out.push(`${file}: in no layer (move it under src/<layer>/)`);
    for (const e of edges) {
      if (e.to === '<computed>') {
        out.push(`${file}: a computed import() cannot be fenced`);
        continue;
      }
      if (!e.internal) {
        const pkg = packageOf(e.to);
        const homes = LAZY_PACKAGES[pkg];
        if (!homes || e.kind === 'type') continue;
        if (!homes.includes(file)) out.push(`${file} imports ${pkg}: only ${homes.join(', ')} may`);
        else if (e.kind !== 'dynamic') out.push(`${file} imports ${pkg} statically: load it with await import()`);
        continue;
      }
      if (!graph.has(e.to)) {
        out.push(`${file} imports ${e.to}: not a fenced source file`);
        continue;
      }
      const to = layerOf(e.to);
      if (from === undefined || to === undefined) continue;
      if (RANK.get(to)! > RANK.get(from)!) out.push(`${file} (${from}) imports ${e.to} (${to}): upward`);
    }
  }
  for (const cycle of cycles(graph)) out.push(`import cycle: ${cycle.join(' -> ')}`);
  return [...new Set(out)].sort();
}

/** File-level cycles: each strongly connected component of two or more files (or a file importing itself), as a path back to its start. */
function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const next_ = (f: string) => [...new Set((graph.get(f) ?? []).filter((e) => e.internal && graph.has(e.to)).map((e) => e.to))];
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of next_(v)) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next_(v).includes(v)) found.push(pathThrough(scc.sort(), graph));
    }
  };
  for (const f of [...graph.keys()].sort()) if (!index.has(f)) strong(f);
  return found;
}

/** A concrete cycle inside a strongly connected component, from its first file back to it. */
function pathThrough(scc: string[], graph: Graph): string[] {
  const inside = new Set(scc);
  const start = scc[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const f = queue.shift()!;
    for (const e of graph.get(f) ?? []) {
      if (!inside.has(e.to)) continue;
      if (e.to === start) {
        const p = [start];
        for (let x: string | undefined = f; x !== undefined && x !== start; x = prev.get(x)) p.splice(1, 0, x);
        return [...p, start];
      }
      if (!prev.has(e.to)) {
        prev.set(e.to, f);
        queue.push(e.to);
      }
    }
  }
  return [...scc, start];
}

describe('layer fences', () => {
  const graph = buildGraph();
  const violations = checkGraph(graph);
  const excepted = new Set(EXCEPTIONS.map((e) => e.violation));

  it('every import goes down the layer order, no cycle, heavy packages lazily from their homes', () => {
    expect(violations.filter((v) => !excepted.has(v))).toEqual([]);
  });

  it('every exception still occurs and says why', () => {
    expect(EXCEPTIONS.filter((e) => !violations.includes(e.violation)).map((e) => e.violation)).toEqual([]);
    for (const e of EXCEPTIONS) expect(e.reason.length).toBeGreaterThan(20);
  });

  it('the graph is the real one: every layer with files is seen, and the lazy homes load their package', () => {
    const layers = new Set([...graph.keys()].map(layerOf));
    for (const l of [
      'core',
      'config',
      'pki',
      'io',
      'probe',
      'targets',
      'checks',
      'rotation',
      'runner',
      'audit',
      'client-test',
      'suites',
      'report',
      'app',
      'cli',
      'api',
    ])
      expect(layers).toContain(l);
    expect(graph.size).toBeGreaterThan(100);
    for (const [pkg, homes] of Object.entries(LAZY_PACKAGES)) {
      for (const home of homes)
        expect(
          graph.get(home)?.some((e) => e.to === pkg && e.kind === 'dynamic'),
          `${home} loads ${pkg}`,
        ).toBe(true);
    }
  });

  it('reads static, export-from, type and dynamic imports, and not comments or strings', () => {
    const text = [
      "// import { x } from './commented.js';",
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import { type C } from './c.js';",
      "import './side-effect.js';",
      "export { d } from './d.js';",
      "export * from './e.js';",
      "export type { F } from './f.js';",
      "type K = typeof import('@kubernetes/client-node');",
      'const s = "import x from \'./string.js\'";',
      "async function f() { return import('./g.js'); }",
      'async function h(n: string) { return import(n); }',
    ].join('\n');
    expect(importsOf('x.ts', text)).toEqual([
      { specifier: './a.js', kind: 'static' },
      { specifier: './b.js', kind: 'type' },
      { specifier: './c.js', kind: 'type' },
      { specifier: './side-effect.js', kind: 'static' },
      { specifier: './d.js', kind: 'static' },
      { specifier: './e.js', kind: 'static' },
      { specifier: './f.js', kind: 'type' },
      { specifier: '@kubernetes/client-node', kind: 'type' },
      { specifier: './g.js', kind: 'dynamic' },
      { specifier: '<computed>', kind: 'dynamic' },
    ]);
  });

  it('fails a synthetic graph with an upward import, a cycle, an unlayered file and eager or misplaced heavy packages', () => {
    const e = (to: string, kind: ImportKind = 'static'): Edge => ({ to, kind, internal: to.startsWith('src/') || to.startsWith('suites/') });
    const synthetic: Graph = new Map<string, Edge[]>([
      // Fine: down the order, sideways within a rank, a type-only import of a heavy package.
      ['src/core/status.ts', []],
      ['src/pki/inspect.ts', [e('src/core/status.ts'), e('src/config/load.ts', 'type')]],
      ['src/config/load.ts', [e('src/core/status.ts')]],
      ['src/report/json.ts', [e('src/pki/inspect.ts'), e('suites/index.ts'), e('@kubernetes/client-node', 'type')]],
      ['suites/index.ts', [e('src/runner/run.ts')]],
      ['src/index.ts', [e('src/report/json.ts'), e('src/cli/main.ts')]],
      ['src/cli/main.ts', []],
      // Upward, even type-only, even dynamic.
      ['src/core/model.ts', [e('src/runner/run.ts', 'type')]],
      ['src/runner/run.ts', [e('src/core/status.ts'), e('src/cli/main.ts', 'dynamic')]],
      // A cycle within one layer (sideways is allowed, a cycle never).
      ['src/probe/a.ts', [e('src/probe/b.ts')]],
      ['src/probe/b.ts', [e('src/probe/c.ts', 'type')]],
      ['src/probe/c.ts', [e('src/probe/a.ts')]],
      // A file in no layer, an import of a file outside the graph.
      ['src/helpers.ts', [e('src/core/status.ts')]],
      ['src/targets/target.ts', [e('src/targets/missing.ts')]],
      // Heavy packages: eager in their home, and from a file that is not their home.
      ['src/targets/k8s/api.ts', [e('@kubernetes/client-node')]],
      ['src/targets/k8s/scan.ts', [e('@kubernetes/client-node', 'dynamic'), e('@kubernetes/client-node/dist/gen/index.js', 'dynamic')]],
      ['src/report/pdf.ts', [e('playwright-core', 'dynamic')]],
      ['src/cli/commands/run.ts', [e('testcontainers')]],
    ]);
    expect(checkGraph(synthetic)).toEqual([
      'import cycle: src/probe/a.ts -> src/probe/b.ts -> src/probe/c.ts -> src/probe/a.ts',
      'src/cli/commands/run.ts imports testcontainers: only src/targets/reference/container.ts may',
      'src/core/model.ts (core) imports src/runner/run.ts (runner): upward',
      'src/helpers.ts: in no layer (move it under src/<layer>/)',
      'src/runner/run.ts (runner) imports src/cli/main.ts (cli): upward',
      'src/targets/k8s/api.ts imports @kubernetes/client-node statically: load it with await import()',
      'src/targets/k8s/scan.ts imports @kubernetes/client-node: only src/targets/k8s/api.ts may',
      'src/targets/target.ts imports src/targets/missing.ts: not a fenced source file',
    ]);
    // One upward import added to an otherwise clean graph is enough to fail.
    const clean = new Map(
      [...synthetic].filter(([f]) =>
        ['src/core/status.ts', 'src/pki/inspect.ts', 'src/config/load.ts', 'src/report/json.ts', 'suites/index.ts', 'src/index.ts', 'src/cli/main.ts'].includes(
          f,
        ),
      ),
    );
    clean.set('suites/index.ts', []);
    expect(checkGraph(clean)).toEqual([]);
    clean.set('src/pki/inspect.ts', [e('src/core/status.ts'), e('src/probe/tls-probe.ts', 'type')]);
    clean.set('src/probe/tls-probe.ts', []);
    expect(checkGraph(clean)).toEqual(['src/pki/inspect.ts (pki) imports src/probe/tls-probe.ts (probe): upward']);
  });
});
