import { PDFParse } from 'pdf-parse';

/** A file that cannot be ingested however often it is retried; `message` is shown to the teacher. */
export class PdfRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfRejectedError';
  }
}

export interface ExtractOptions {
  maxPages: number;
  /** Upper bound on extracted characters (protects memory from pathological files). */
  maxChars: number;
  /** Pages per extraction step; progress is reported after each. */
  batchPages?: number;
  onProgress?: (done: number, total: number) => void | Promise<void>;
}

export interface ExtractedPdf {
  pageCount: number;
  /** Text of each page, index 0 = page 1. */
  pages: string[];
}

export const PDF_SIGNATURE = '%PDF-';

/** The first bytes of a PDF (a few producers put junk before the header; the spec allows 1 KiB). */
export function looksLikePdf(head: Uint8Array): boolean {
  const text = Buffer.from(head.subarray(0, 1024)).toString('latin1');
  return text.includes(PDF_SIGNATURE);
}

function classify(err: unknown): PdfRejectedError | null {
  const name = (err as { name?: string })?.name ?? '';
  const message = (err as { message?: string })?.message ?? '';
  if (name === 'PasswordException') return new PdfRejectedError('password-protected PDF is not supported');
  if (name === 'InvalidPDFException') {
    if (/empty/i.test(message)) return new PdfRejectedError('empty file');
    return new PdfRejectedError('truncated or damaged PDF');
  }
  if (name === 'FormatError' || name === 'UnknownErrorException') return new PdfRejectedError(`damaged PDF (${message})`);
  return null;
}

/**
 * Text per page with pdf.js (through pdf-parse). Every way a file can be unusable ends in a
 * PdfRejectedError with a specific reason; anything else (out of memory, a bug) propagates.
 */
export async function extractPdfText(data: Uint8Array, opts: ExtractOptions): Promise<ExtractedPdf> {
  if (data.byteLength === 0) throw new PdfRejectedError('empty file');
  if (!looksLikePdf(data)) throw new PdfRejectedError('not a PDF (the file does not start with %PDF-)');
  // pdf.js takes ownership of the buffer it is given.
  const parser = new PDFParse({ data: new Uint8Array(data), verbosity: 0 });
  try {
    let total: number;
    try {
      total = (await parser.getInfo()).total;
    } catch (err) {
      throw classify(err) ?? err;
    }
    if (total < 1) throw new PdfRejectedError('the PDF has no pages');
    if (total > opts.maxPages) throw new PdfRejectedError(`too many pages (${total} > ${opts.maxPages})`);
    const pages: string[] = [];
    let chars = 0;
    const step = opts.batchPages ?? 25;
    for (let first = 1; first <= total; first += step) {
      const last = Math.min(total, first + step - 1);
      let result;
      try {
        result = await parser.getText({ first, last });
      } catch (err) {
        throw classify(err) ?? err;
      }
      const byNumber = new Map(result.pages.map((p: { num: number; text: string }) => [p.num, p.text]));
      for (let n = first; n <= last; n++) {
        const text = byNumber.get(n) ?? '';
        chars += text.length;
        pages.push(text);
      }
      if (chars > opts.maxChars) throw new PdfRejectedError(`too much text (over ${opts.maxChars} characters)`);
      await opts.onProgress?.(last, total);
    }
    return { pageCount: total, pages };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}
