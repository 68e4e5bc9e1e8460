import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import * as fontkit from 'fontkit';

/**
 * Fonts of the PDFs: Noto Sans Devanagari (Latin, Latin Extended and Devanagari, as @fontsource splits it
 * into unicode-range subsets), then the built-in Helvetica for the Windows-1252 characters those subsets
 * lack (±, ², ¼, ‰…). A character no font has is drawn as `?`.
 */
export type Weight = 'regular' | 'bold';

/** A stretch of text drawn with one font (a name registered by registerFonts, or a built-in one). */
export interface TextRun {
  font: string;
  text: string;
}

interface Face {
  name: string;
  covers(codePoint: number): boolean;
}

const SUBSETS = ['latin', 'latin-ext', 'devanagari'];
const WEIGHTS: Record<Weight, number> = { regular: 400, bold: 700 };
const BUILT_IN: Record<Weight, string> = { regular: 'Helvetica', bold: 'Helvetica-Bold' };

/** Windows-1252 characters outside Latin-1 that the built-in fonts can draw. */
const CP1252_EXTRA = new Set([...'€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'].map((c) => c.codePointAt(0)));
const winAnsi = (code: number) =>
  (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || CP1252_EXTRA.has(code);
const isControl = (code: number) => code < 0x20 || (code >= 0x7f && code < 0xa0);
/** Spaces, combining marks and joiners stay in the run they follow: they have no script of their own. */
const NEUTRAL = /^[\p{Zs}\p{M}\u200B-\u200D]$/u;

interface LoadedFonts {
  fonts: Map<string, fontkit.Font>;
  faces: Record<Weight, Face[]>;
  /** Vertical metrics shared by all the subsets, as fractions of the font size. */
  ascent: number;
  lineHeight: number;
}

let loaded: LoadedFonts | undefined;

/** Parsed once per process: fontkit parses a font's layout tables lazily and caches its glyphs. */
function loadFonts(): LoadedFonts {
  const fonts = new Map<string, fontkit.Font>();
  const faceList = (weight: Weight): Face[] => [
    ...SUBSETS.map((subset) => {
      const name = `NotoSansDevanagari-${subset}-${WEIGHTS[weight]}`;
      const file = require.resolve(
        `@fontsource/noto-sans-devanagari/files/noto-sans-devanagari-${subset}-${WEIGHTS[weight]}-normal.woff`,
      );
      const font = fontkit.create(woffToSfnt(readFileSync(file)));
      fonts.set(name, font);
      const characters = new Set(font.characterSet);
      return { name, covers: (code: number) => characters.has(code) };
    }),
    { name: BUILT_IN[weight], covers: winAnsi },
  ];
  const faces = { regular: faceList('regular'), bold: faceList('bold') };
  const metrics = fonts.values().next().value!;
  return {
    fonts,
    faces,
    ascent: metrics.ascent / metrics.unitsPerEm,
    lineHeight: (metrics.ascent - metrics.descent) / metrics.unitsPerEm,
  };
}

const fonts = () => (loaded ??= loadFonts());

export const fontMetrics = (): { ascent: number; lineHeight: number } => fonts();

/** Makes the Noto subsets available to `doc.font(name)`; pdfkit embeds only the glyphs a document uses. */
export function registerFonts(doc: PDFKit.PDFDocument): void {
  // pdfkit takes a parsed fontkit font as well as bytes (its typings only list bytes).
  for (const [name, font] of fonts().fonts) doc.registerFont(name, font as unknown as Buffer);
}

/** Splits text into runs by the first font of the chain that has each character. */
export function fontRuns(text: string, weight: Weight): TextRun[] {
  const faces = fonts().faces[weight];
  const runs: TextRun[] = [];
  let current: Face | undefined;
  for (let char of text) {
    const code = char.codePointAt(0)!;
    let face = current && NEUTRAL.test(char) && current.covers(code) ? current : faces.find((f) => f.covers(code));
    if (!face || isControl(code)) {
      face = faces[0];
      char = '?';
    }
    if (face === current) runs[runs.length - 1].text += char;
    else runs.push({ font: face.name, text: char });
    current = face;
  }
  return runs;
}

/**
 * The TrueType bytes inside a WOFF file. fontkit reads WOFF but inflates a whole table on every
 * access (each glyph read inflates `glyf` again), which makes rendering several times slower.
 */
function woffToSfnt(woff: Buffer): Buffer {
  const count = woff.readUInt16BE(12);
  const tables = Array.from({ length: count }, (_, i) => {
    const entry = 44 + 20 * i;
    const [offset, compressed, length] = [4, 8, 12].map((at) => woff.readUInt32BE(entry + at));
    const data = woff.subarray(offset, offset + compressed);
    return {
      tag: woff.subarray(entry, entry + 4),
      checksum: woff.readUInt32BE(entry + 16),
      data: compressed < length ? inflateSync(data) : data,
    };
  });
  const directory = Buffer.alloc(12 + 16 * count);
  const selector = Math.floor(Math.log2(count));
  directory.writeUInt32BE(woff.readUInt32BE(4), 0); // the sfnt flavour, e.g. 0x00010000 for TrueType
  directory.writeUInt16BE(count, 4);
  directory.writeUInt16BE(16 << selector, 6);
  directory.writeUInt16BE(selector, 8);
  directory.writeUInt16BE(16 * count - (16 << selector), 10);
  const parts: Buffer[] = [directory];
  let offset = directory.length;
  tables.forEach((table, i) => {
    const record = 12 + 16 * i;
    table.tag.copy(directory, record);
    directory.writeUInt32BE(table.checksum, record + 4);
    directory.writeUInt32BE(offset, record + 8);
    directory.writeUInt32BE(table.data.length, record + 12);
    const padded = (table.data.length + 3) & ~3; // tables start on 4-byte boundaries
    parts.push(table.data, Buffer.alloc(padded - table.data.length));
    offset += padded;
  });
  return Buffer.concat(parts);
}
