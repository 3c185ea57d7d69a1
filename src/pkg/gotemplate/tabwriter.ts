/**
 * Go's `text/tabwriter` column alignment, as the docker CLI uses it for
 * `table` output: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)` — minimum
 * cell width 10, padding 3, space padding. Cells are tab-terminated; the
 * text after a line's last tab is not part of any column and is never
 * padded. A column block is a run of consecutive lines that have a cell in
 * that column; each block gets its own width (Go's `Writer.format`).
 */

export interface TabWriterOptions {
  /** Minimal cell width including padding. */
  readonly minwidth: number;
  /** Width of a tab character when padding with tabs. */
  readonly tabwidth: number;
  /** Added to the widest cell of a column. */
  readonly padding: number;
  readonly padchar: string;
  /** Right-align cell contents (Go's AlignRight flag). */
  readonly alignRight?: boolean;
}

/** The docker CLI's table settings. */
export const DOCKER_TABWRITER: TabWriterOptions = Object.freeze({ minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ' });

interface Cell { readonly text: string; readonly width: number }

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Aligns tab-separated text exactly as Go's tabwriter writes it after Flush:
 * line structure and the presence of a final newline are preserved.
 */
export function tabwrite(text: string, opts: TabWriterOptions = DOCKER_TABWRITER): string {
  const lines: Cell[][] = text.split('\n').map((l) => l.split('\t').map((t) => ({ text: t, width: runeCount(t) })));
  const out: string[] = [];
  const widths: number[] = [];

  const writePadding = (textw: number, cellw: number): void => {
    if (opts.padchar === '\t') {
      if (opts.tabwidth === 0) return;
      const w = Math.ceil(cellw / opts.tabwidth) * opts.tabwidth;
      out.push('\t'.repeat(Math.ceil((w - textw) / opts.tabwidth)));
      return;
    }
    out.push(opts.padchar.repeat(Math.max(0, cellw - textw)));
  };

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i] ?? [];
      line.forEach((c, j) => {
        const w = widths[j];
        if (c.width === 0) {
          if (w !== undefined) writePadding(c.width, w);
        } else if (opts.alignRight && opts.padchar !== '\t') {
          if (w !== undefined) writePadding(c.width, w);
          out.push(c.text);
        } else {
          out.push(c.text);
          if (w !== undefined) writePadding(c.width, w);
        }
      });
      // The last line has no newline of its own (text did not end with one there).
      if (i + 1 < lines.length) out.push('\n');
    }
  };

  const format = (start: number, line1: number): void => {
    let line0 = start;
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= (lines[t]?.length ?? 0) - 1) continue;
      // A cell exists in this column: flush the lines before the block, then size the block.
      writeLines(line0, t);
      line0 = t;
      let width = opts.minwidth;
      for (; t < line1; t++) {
        const line = lines[t] ?? [];
        if (column >= line.length - 1) break;
        const w = (line[column]?.width ?? 0) + opts.padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('');
}

/**
 * Aligns rows of cells the way docker's `table` output does; every row ends
 * with a newline. `formatTable([['CONTAINER ID', 'IMAGE', 'NAMES']])` →
 * `"CONTAINER ID   IMAGE     NAMES\n"`.
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  return tabwrite(rows.map((r) => `${r.join('\t')}\n`).join(''));
}
