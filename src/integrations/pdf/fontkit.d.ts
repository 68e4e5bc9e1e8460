/** The little of fontkit (pdfkit's font engine, no published types of its own) that pdf-fonts.ts uses. */
declare module 'fontkit' {
  export interface Font {
    postscriptName: string;
    unitsPerEm: number;
    ascent: number;
    descent: number;
    /** The code points the font's cmap maps. */
    characterSet: number[];
  }
  export function create(buffer: Buffer): Font;
}
