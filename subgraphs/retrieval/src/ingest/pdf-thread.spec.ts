// PDF extraction in a worker thread: the same text as in process, and each limit (heap, whole-file
// time, per-page time) stops the thread with a reason a teacher can read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '@ai-teacher/shared';
import { PdfRejectedError } from './pdf-text.ts';
import { extractPdfTextInThread, formatDuration } from './pdf-thread.ts';

const data = join(repoRoot, '..', 'shared', 'data');
const python = () => new Uint8Array(readFileSync(join(data, 'textbooks', 'intro-python-programming.pdf')));
const defaults = { maxPages: 2000, maxChars: 20_000_000, maxHeapMb: 512, timeoutMs: 600_000, pageTimeoutMs: 60_000 };

describe('extractPdfTextInThread', () => {
  it('reads the Python textbook page by page, reporting progress for every page', async () => {
    const seen: number[] = [];
    const pdf = await extractPdfTextInThread(python(), { ...defaults, onProgress: (done) => void seen.push(done) });
    expect(pdf.pageCount).toBe(200);
    expect(pdf.pages).toHaveLength(200);
    expect(pdf.pages.join(' ')).toMatch(/while loop/);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  }, 60_000);

  it('passes on the reasons of files it cannot read', async () => {
    await expect(extractPdfTextInThread(new Uint8Array(readFileSync(join(data, 'bad-inputs', 'encrypted.pdf'))), defaults)).rejects.toThrow('password-protected PDF is not supported');
    await expect(extractPdfTextInThread(new Uint8Array(readFileSync(join(data, 'bad-inputs', 'huge-page-count.pdf'))), defaults)).rejects.toThrow('too many pages (3000 > 2000)');
  }, 30_000);

  it.each([
    [{ maxHeapMb: 16 }, 'reading the PDF needed more than 16 MB of memory, the limit for one file (damaged or unusually complex?)'],
    [{ timeoutMs: 1 }, 'reading the PDF took longer than 1 ms, the limit for one file (damaged or unusually complex?)'],
    [{ pageTimeoutMs: 1 }, 'opening the PDF took longer than 1 ms (damaged or unusually complex?)'],
  ])('stops the thread past a limit (%j): a PdfRejectedError with the reason', async (limit, reason) => {
    const err = await extractPdfTextInThread(python(), { ...defaults, ...limit }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PdfRejectedError);
    expect((err as Error).message).toBe(reason);
  }, 30_000);

  it('names limits as people read them', () => {
    expect([formatDuration(600_000), formatDuration(60_000), formatDuration(1_500), formatDuration(1)]).toEqual(['10 min', '1 min', '1.5 s', '1 ms']);
  });
});
