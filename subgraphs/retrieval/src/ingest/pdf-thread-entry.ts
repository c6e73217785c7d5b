// The worker thread that reads one PDF (see pdf-thread.ts). Node loads this file directly (type
// stripping), in a thread of its own with a capped heap, so it imports only what extraction needs.
import { parentPort, workerData } from 'node:worker_threads';
import { extractPdfText, PdfRejectedError } from './pdf-text.ts';
import type { PdfThreadInput, PdfThreadMessage } from './pdf-thread.ts';

const input = workerData as PdfThreadInput;
const post = (message: PdfThreadMessage) => parentPort!.postMessage(message);

try {
  // One page per step: every finished page tells the parent, which times each page.
  const pdf = await extractPdfText(input.data, { maxPages: input.maxPages, maxChars: input.maxChars, batchPages: 1, onProgress: (done, total) => post({ type: 'progress', done, total }) });
  post({ type: 'result', pageCount: pdf.pageCount, pages: pdf.pages });
} catch (err) {
  post(err instanceof PdfRejectedError ? { type: 'rejected', message: err.message } : { type: 'failed', message: (err as Error)?.message ?? String(err) });
}
