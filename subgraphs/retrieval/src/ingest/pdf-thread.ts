// PDF text extraction in a worker thread with a heap cap and clocks. A hostile or pathological
// file (a page that never finishes, objects that inflate into gigabytes) must not hang or kill the
// worker process that also runs other jobs: the thread is terminated when it runs past its time
// for the whole book or for one page, and V8 stops it when its heap passes INGEST_MAX_HEAP_MB. All
// three end in a PdfRejectedError, so the ingestion ends FAILED with the reason and is not retried
// (the same file would fail the same way; uploading it again retries it). The limits cap the JS
// heap; the file's own bytes (at most UPLOAD_MAX_BYTES) live outside it.
//
// Moving pdf.js off the main thread also keeps that thread free to renew the job's BullMQ lock and
// serve /ready while a large book is being read.
import { Worker } from 'node:worker_threads';
import { type ExtractedPdf, type ExtractOptions, PdfRejectedError } from './pdf-text.ts';

export interface PdfThreadLimits {
  /** V8 old-generation heap of the thread (INGEST_MAX_HEAP_MB). */
  maxHeapMb: number;
  /** Wall-clock time for the whole file (INGEST_TIMEOUT_MS). */
  timeoutMs: number;
  /** Wall-clock time for opening the file, and for each page after it (INGEST_PAGE_TIMEOUT_MS). */
  pageTimeoutMs: number;
}

/** What the thread is given (workerData). */
export interface PdfThreadInput {
  data: Uint8Array;
  maxPages: number;
  maxChars: number;
}

/** What the thread sends back. */
export type PdfThreadMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'result'; pageCount: number; pages: string[] }
  | { type: 'rejected'; message: string }
  | { type: 'failed'; message: string };

const ENTRY = new URL('./pdf-thread-entry.ts', import.meta.url);

/** "10 min", "30 s", "1 ms": limits as a teacher reads them. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1_000) return `${Math.round(ms / 100) / 10} s`;
  return `${ms} ms`;
}

/** Like extractPdfText, in a worker thread under `limits`. `data` is handed over to the thread. */
export function extractPdfTextInThread(data: Uint8Array, opts: ExtractOptions & PdfThreadLimits): Promise<ExtractedPdf> {
  // The thread takes the bytes without a copy; they must be a buffer of their own to be moved.
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer ? data : new Uint8Array(data);
  const input: PdfThreadInput = { data: own, maxPages: opts.maxPages, maxChars: opts.maxChars };
  // The young generation is part of the cap too (V8's default would add up to 32 MB on top).
  const young = Math.max(1, Math.min(16, Math.floor(opts.maxHeapMb / 8)));
  const worker = new Worker(ENTRY, { workerData: input, transferList: [own.buffer as ArrayBuffer], resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb, maxYoungGenerationSizeMb: young }, stdout: false, stderr: false });

  // The job awaits the thread; the thread alone never holds up the process's exit.
  worker.unref();
  return new Promise<ExtractedPdf>((resolve, reject) => {
    let settled = false;
    let pagesDone = 0;
    let progress: Promise<void> = Promise.resolve();
    const finish = (outcome: { ok: ExtractedPdf } | { err: Error }) => {
      if (settled) return;
      settled = true;
      clearTimeout(whole);
      clearTimeout(page);
      void worker.terminate();
      // Progress already reported is written before the outcome is known.
      void progress.then(
        () => ('ok' in outcome ? resolve(outcome.ok) : reject(outcome.err)),
        (err: unknown) => reject(err as Error),
      );
    };
    const whole = setTimeout(
      () => finish({ err: new PdfRejectedError(`reading the PDF took longer than ${formatDuration(opts.timeoutMs)}, the limit for one file (damaged or unusually complex?)`) }),
      opts.timeoutMs,
    );
    const pageTimer = () =>
      setTimeout(
        () =>
          finish({
            err: new PdfRejectedError(
              pagesDone === 0
                ? `opening the PDF took longer than ${formatDuration(opts.pageTimeoutMs)} (damaged or unusually complex?)`
                : `page ${pagesDone + 1} took longer than ${formatDuration(opts.pageTimeoutMs)} to read (damaged or unusually complex?)`,
            ),
          }),
        opts.pageTimeoutMs,
      );
    let page = pageTimer();

    worker.on('message', (message: PdfThreadMessage) => {
      if (settled) return;
      switch (message.type) {
        case 'progress':
          pagesDone = message.done;
          clearTimeout(page);
          page = pageTimer();
          if (opts.onProgress) progress = progress.then(() => opts.onProgress!(message.done, message.total));
          return;
        case 'result':
          return finish({ ok: { pageCount: message.pageCount, pages: message.pages } });
        case 'rejected':
          return finish({ err: new PdfRejectedError(message.message) });
        case 'failed':
          return finish({ err: new Error(`reading the PDF failed: ${message.message}`) });
      }
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        finish({ err: new PdfRejectedError(`reading the PDF needed more than ${opts.maxHeapMb} MB of memory, the limit for one file (damaged or unusually complex?)`) });
      } else {
        finish({ err });
      }
    });
    worker.on('exit', (code) => finish({ err: new Error(`the PDF reader stopped unexpectedly (exit code ${code})`) }));
  });
}
