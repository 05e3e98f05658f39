/**
 * The report's only stylesheet, inlined (no external fonts, images or scripts). Status is never
 * carried by colour alone: every badge has an icon shape, a label and a border style
 * (pass solid, warn dashed, fail thick, error double, skip dotted) that survive greyscale printing.
 */
export const REPORT_CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--error:#8250df;--skip:#59636e;--info:#0969da;
--pass-bg:#dafbe1;--warn-bg:#fff8c5;--fail-bg:#ffebe9;--error-bg:#fbefff;--skip-bg:#f6f8fa;--info-bg:#ddf4ff}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:var(--bg);font:14px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans","Liberation Sans",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:20px;margin:0 0 8px}h3{font-size:16px;margin:22px 0 8px}h4{font-size:14px;margin:12px 0 6px}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;font-size:12.5px}
.wrap{overflow-wrap:anywhere;word-break:break-word}
.muted{color:var(--muted)}
a{color:var(--info)}
header.report{border-bottom:2px solid var(--fg);padding-bottom:14px;margin-bottom:18px}
.headline{display:flex;gap:14px;align-items:center;flex-wrap:wrap;margin:10px 0 14px}
.headline .counts{font-size:15px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{font-weight:600;background:var(--soft)}
table.meta th{width:190px;background:none;font-weight:600;color:var(--muted)}
table.meta td,table.meta th{border-bottom:1px solid #eef1f4}
.cmd{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:4px 8px;display:block;white-space:pre-wrap}
.badge{display:inline-flex;align-items:center;gap:4px;border-radius:4px;padding:1px 7px 1px 5px;font-weight:700;font-size:12px;letter-spacing:.03em;white-space:nowrap;border:1.5px solid currentColor;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.badge svg{width:13px;height:13px;flex:none}
.badge.big{font-size:16px;padding:3px 12px 3px 8px}.badge.big svg{width:18px;height:18px}
.s-pass{color:var(--pass);background:var(--pass-bg)}
.s-warn{color:var(--warn);background:var(--warn-bg);border-style:dashed}
.s-fail{color:var(--fail);background:var(--fail-bg);border-width:2.5px}
.s-error{color:var(--error);background:var(--error-bg);border-style:double;border-width:3px}
.s-skip{color:var(--skip);background:var(--skip-bg);border-style:dotted}
.s-info{color:var(--info);background:var(--info-bg)}
.num{font-variant-numeric:tabular-nums;text-align:right}
table.matrix td,table.matrix th{text-align:center}
table.matrix td:first-child,table.matrix th:first-child{text-align:left}
table.matrix .cell .small{display:block}
/* Fixed layouts: a table of 1,000 rows is laid out from its first row, not measured whole. */
table.targets,table.matrix{table-layout:fixed}
table.targets th:first-child{width:30%}table.targets th:nth-child(2){width:24%}table.targets th:nth-child(3){width:76px}
table.matrix th:first-child{width:24%}
table.matrix .small{font-size:11px;color:var(--muted)}
section.target{margin-top:34px;padding-top:10px;border-top:1px solid var(--line)}
.target-head{display:flex;justify-content:space-between;align-items:flex-start;gap:16px;flex-wrap:wrap}
.incomplete{margin:10px 0;padding:10px 14px;border:3px double var(--error);background:var(--error-bg);color:var(--fg)}
.problems{margin:10px 0;padding:8px 12px;border-left:4px solid var(--fail);background:var(--fail-bg)}
.problems ul{margin:4px 0 0;padding-left:18px}
.nothing{margin:10px 0;padding:8px 12px;border-left:4px solid var(--pass);background:var(--pass-bg)}
article.check{border:1px solid var(--line);border-left-width:5px;border-radius:4px;padding:8px 12px;margin:8px 0}
/* Long evidence may break across pages; a check's head stays with its message, no paragraph is split
   (chaining every paragraph to the next moved whole cards to the next page, leaving near-empty ones). */
.check-head{break-inside:avoid;page-break-inside:avoid;break-after:avoid;page-break-after:avoid}
.check>p{break-inside:avoid;page-break-inside:avoid}
dl.ev dt{break-after:avoid;page-break-after:avoid}
article.check.c-pass{border-left-color:var(--pass)}article.check.c-warn{border-left-color:var(--warn);border-left-style:dashed}
article.check.c-fail{border-left-color:var(--fail);border-left-width:8px}article.check.c-error{border-left-color:var(--error);border-left-style:double;border-left-width:8px}
article.check.c-skip{border-left-color:var(--skip);border-left-style:dotted}article.check.c-info{border-left-color:var(--info)}
.check-head{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.check-head .title{font-weight:600}
.check p{margin:6px 0}
.fix{background:var(--soft);border-radius:4px;padding:4px 8px}
.refs{font-size:12.5px;color:var(--muted)}
.refs a{color:inherit}
dl.ev{display:grid;grid-template-columns:minmax(120px,max-content) 1fr;gap:2px 12px;margin:6px 0 0;font-size:12.5px}
dl.ev dt{color:var(--muted)}dl.ev dd{margin:0;overflow-wrap:anywhere;word-break:break-word}
dl.ev dl.ev{margin:0;padding-left:8px;border-left:2px solid var(--line)}
table.beside{border-collapse:collapse;margin:8px 0 0;font-size:12.5px;width:100%}table.beside th,table.beside td{text-align:left;padding:2px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}table.beside tbody th{color:var(--muted);font-weight:normal}table.beside tr.differs td{font-weight:600;background:var(--warn-bg,rgba(255,200,0,.12))}
.certs{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:10px}
.cert{border:1px solid var(--line);border-radius:6px;padding:8px 10px;break-inside:avoid;page-break-inside:avoid}
.cert h4{margin:0 0 4px}
.chain{display:flex;align-items:center;flex-wrap:wrap;gap:6px;margin:8px 0 12px}
.chain .node{border:1.5px solid var(--fg);border-radius:6px;padding:4px 8px;max-width:300px;font-size:12px;background:var(--bg)}
.chain .node.anchor{border-style:dashed}
.chain .node .role{display:block;font-size:10.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.chain .arrow{font-size:12px;color:var(--muted);white-space:nowrap}
.days-low{color:var(--fail);font-weight:700}.days-warn{color:var(--warn);font-weight:700}
figure.chart{margin:8px 0;border:1px solid var(--line);border-radius:6px;padding:8px;break-inside:avoid;page-break-inside:avoid}
figure.chart svg{width:100%;height:auto;display:block}
figure.chart figcaption{font-size:12.5px;color:var(--muted)}
footer.report{margin-top:40px;padding-top:10px;border-top:1px solid var(--line);font-size:12.5px;color:var(--muted)}
.toc{columns:2;font-size:13px;padding-left:18px}
details.target>summary{display:flex;cursor:pointer;list-style:none}
details.target>summary::-webkit-details-marker{display:none}
details.target>summary h2::before{content:"▾ ";color:var(--muted)}
details.target:not([open])>summary h2::before{content:"▸ "}
details.target:not([open])>summary h2::after{content:" — collapsed, select to show its checks and certificates";font-size:12px;font-weight:400;color:var(--muted)}
table.compact{font-size:12.5px;margin:4px 0 8px}
table.compact td{padding:3px 6px}
table.compact td:first-child{width:64px}
table.compact td:nth-child(2){width:30%}
.ev-text{display:block;font-size:11.5px;color:var(--muted);overflow-wrap:anywhere;word-break:break-word}
.fix-inline{font-style:italic}
.cert.seen{font-size:12.5px}
.small{font-size:12px}
/* Off-screen targets are laid out when scrolled to (find-in-page still finds their text). */
@media screen{section.target{content-visibility:auto;contain-intrinsic-size:auto 120px}}
@media (max-width:700px){main{padding:12px}.toc{columns:1}dl.ev{grid-template-columns:1fr}}
@page{size:A4;margin:14mm 12mm}
@media print{
  body{font-size:11px}main{max-width:none;padding:0}
  a{color:inherit;text-decoration:none}
  /* Collapsed targets print whole: the evidence is the auditor's. Targets follow one another (no page each). */
  details.target::details-content{content-visibility:visible;display:block}
  details.target>summary h2::before,details.target:not([open])>summary h2::before,details.target:not([open])>summary h2::after{content:none}
  section.target{margin-top:18px;padding-top:6px}
  summary.target-head,h2,h3,h4{break-after:avoid;page-break-after:avoid}
  summary.target-head,.problems li,.nothing,.cert,article.check .check-head{break-inside:avoid;page-break-inside:avoid}
  /* A certificate heading may end a page: kept with what follows it, it left near-empty pages. */
  section.certificates h4{break-after:auto;page-break-after:auto}
  table.compact{font-size:10px}.ev-text{font-size:9.5px}
  .certs{display:block}.cert{margin:0 0 8px}.chain{break-inside:avoid;page-break-inside:avoid}
  .noprint{display:none}
  tr{break-inside:avoid;page-break-inside:avoid}
}
`;
