// cli-table3, the terminal tables' renderer, loaded once for both tables (results, diagnosis).
//
// Required, not imported: imported from an ES module node would pre-parse the package's CommonJS
// files for their export names, for nothing.
//
// And one fix: cli-table3 0.6.5 draws each line of a cell after truncating the cell's whole text
// to 10 columns for a debug message it never prints (Cell#draw). On a text of several lines that
// truncation measures the text again for every character it removes: one finding with its
// remediation (~900 characters, 8 lines) cost 40 ms, more than all the handshakes of a run. The
// text is not used otherwise in Cell#draw (the lines drawn are the wrapped `lines`), so it is set
// aside while a line is drawn; the drawing is unchanged (src/report/table.test.ts).
import { createRequire } from 'node:module';
import type TableType from 'cli-table3';

const require = createRequire(import.meta.url);

interface CellInternals {
  content: string;
  draw(lineNum: number | 'top' | 'bottom', spanningCell?: number): string;
}

const Cell = require('cli-table3/src/cell.js') as { prototype: CellInternals };
const draw = Cell.prototype.draw;
if (!(draw as { textSetAside?: true }).textSetAside) {
  const drawLine = function (this: CellInternals, lineNum: number | 'top' | 'bottom', spanningCell?: number): string {
    if (lineNum === 'top' || lineNum === 'bottom') return draw.call(this, lineNum, spanningCell);
    const content = this.content;
    this.content = '';
    try {
      return draw.call(this, lineNum, spanningCell);
    } finally {
      this.content = content;
    }
  };
  Cell.prototype.draw = Object.assign(drawLine, { textSetAside: true as const });
}

/** The cli-table3 Table class. */
export const Table = require('cli-table3') as typeof TableType;
