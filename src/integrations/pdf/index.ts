export { renderPdf } from './pdf-renderer';
export { logoFromDataUrl, type PdfBlock, type PdfBranding, type PdfDocumentModel } from './pdf-document';
