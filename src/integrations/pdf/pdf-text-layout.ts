import { fontMetrics, fontRuns, type Weight } from './pdf-fonts';

type Doc = PDFKit.PDFDocument;

/**
 * Line breaking and placement of text whose characters come from several fonts (see pdf-fonts.ts):
 * pdfkit wraps and aligns one font at a time, so lines are measured here run by run and each run
 * is drawn at its own position on a shared baseline.
 */
export interface Span {
  text: string;
  bold?: boolean;
}

export interface TextStyle {
  size: number;
  width: number;
  align?: 'left' | 'right' | 'center';
}

interface PlacedRun {
  font: string;
  text: string;
  width: number;
}

export interface TextLine {
  runs: PlacedRun[];
  /** Without trailing spaces: what alignment uses. */
  width: number;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export const lineHeight = (size: number) => fontMetrics().lineHeight * size;

/** Breaks spans into lines of at most `style.width` at spaces; a word longer than a line is cut between graphemes. */
export function layoutText(doc: Doc, spans: Span[], style: TextStyle): TextLine[] {
  const measure = (text: string, weight: Weight) =>
    fontRuns(text, weight).map((run) => ({
      ...run,
      width: doc.font(run.font).fontSize(style.size).widthOfString(run.text),
    }));
  /** A word's width with and without its trailing spaces. */
  const widths = (runs: PlacedRun[]) => {
    const last = runs[runs.length - 1];
    const spaces = / *$/.exec(last.text)![0];
    const full = runs.reduce((sum, run) => sum + run.width, 0);
    return { full, inked: spaces ? full - doc.font(last.font).fontSize(style.size).widthOfString(spaces) : full };
  };
  const lines: TextLine[] = [{ runs: [], width: 0 }];
  let full = 0; // the last line's width with its trailing spaces
  const breakLine = () => {
    lines.push({ runs: [], width: 0 });
    full = 0;
  };
  const add = (runs: PlacedRun[]) => {
    const word = widths(runs);
    if (lines[lines.length - 1].runs.length > 0 && full + word.inked > style.width) breakLine();
    const line = lines[lines.length - 1];
    for (const run of runs) {
      const previous = line.runs[line.runs.length - 1];
      if (previous?.font === run.font)
        line.runs[line.runs.length - 1] = {
          ...previous,
          text: previous.text + run.text,
          width: previous.width + run.width,
        };
      else line.runs.push(run);
    }
    line.width = full + word.inked;
    full += word.full;
  };
  spans.forEach((span) => {
    const weight: Weight = span.bold ? 'bold' : 'regular';
    // A newline breaks the line; the next span (e.g. the value after a bold label) continues it.
    normalize(span.text)
      .split('\n')
      .forEach((paragraph, i) => {
        if (i > 0) breakLine();
        for (const word of paragraph.match(/[^ ]+ *| +/g) ?? []) {
          const runs = measure(word, weight);
          if (widths(runs).inked <= style.width) add(runs);
          else
            for (const piece of cut(word, (text) => widths(measure(text, weight)).inked, style.width))
              add(measure(piece, weight));
        }
      });
  });
  return lines.length === 1 && lines[0].runs.length === 0 ? [] : lines;
}

/** Draws lines from (x, top) and returns the y below the last one. */
export function drawLines(doc: Doc, lines: TextLine[], x: number, top: number, style: TextStyle): number {
  const height = lineHeight(style.size);
  lines.forEach((line, i) => {
    const free = style.width - line.width;
    let left = x + (style.align === 'right' ? free : style.align === 'center' ? free / 2 : 0);
    const baseline = top + i * height + fontMetrics().ascent * style.size;
    for (const run of line.runs) {
      doc
        .font(run.font)
        .fontSize(style.size)
        .text(run.text, left, baseline, { lineBreak: false, baseline: 'alphabetic' });
      left += run.width;
    }
  });
  return top + lines.length * height;
}

const normalize = (text: string) => text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ');

/** Pieces of a too-long word that each fit `width` (at least one grapheme each). */
function cut(word: string, width: (text: string) => number, max: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const { segment } of graphemes.segment(word)) {
    if (piece && width(piece + segment) > max) {
      pieces.push(piece);
      piece = '';
    }
    piece += segment;
  }
  return piece ? [...pieces, piece] : pieces;
}
