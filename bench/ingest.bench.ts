// `npm run bench:ingest`: the Python textbook (200 pages) from upload to READY through the router,
// with the offline embedder and the Postgres vector store, all services as separate processes; then
// the router's memory while a 50 MB file passes through it (uploads are streamed, not held).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { startBenchStackAsAdmin, uploadBook, waitIngested } from './lib.ts';

/** The router's resident memory, from its Prometheus process metrics. */
async function routerRss(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return Number(/^(?:router_)?process_resident_memory_bytes(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? NaN);
}

const { stack, token, run } = await startBenchStackAsAdmin();
try {
  await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, { d: 'faculty,department,semester,course_code,course_title\nScience,CS,Fall,PY1,Python' });
  const tree = await run(`{ faculties { departments { semesters { courses { id } } } } }`);
  const courseId = tree.faculties[0].departments[0].semesters[0].courses[0].id as string;
  const pdf = readFileSync(join(repoRoot, '..', 'shared', 'data', 'textbooks', 'intro-python-programming.pdf'));
  const rows: { run: number; seconds: number; pages: number; chunks: number }[] = [];
  for (let i = 1; i <= 2; i++) {
    // A new book each run: the second run shows the effect of the warm embeddings cache.
    const bookId = (await run(`mutation($c: ID!, $t: String!) { createBook(courseId: $c, title: $t, authors: ["OpenStax"]) { id } }`, { c: courseId, t: `Python ${i}` })).createBook.id as string;
    const started = performance.now();
    const up = await uploadBook(stack.routerUrl, token, bookId, pdf, 'intro-python-programming.pdf');
    if (up.errors) throw new Error(JSON.stringify(up.errors));
    const done = await waitIngested(stack.routerUrl, token, courseId, bookId);
    if (done.status !== 'READY') throw new Error(`ingestion ${done.status}: ${done.error}`);
    rows.push({ run: i, seconds: (performance.now() - started) / 1000, pages: done.pageCount, chunks: done.chunkCount });
  }
  console.log(`\nIngestion of intro-python-programming.pdf (${(pdf.length / 1024 / 1024).toFixed(1)} MB), upload → READY through the router, ${process.version}\n`);
  for (const r of rows) {
    console.log(`run ${r.run}${r.run === 2 ? ' (embeddings cached)' : '                   '}: ${r.seconds.toFixed(1)} s, ${(r.pages / r.seconds).toFixed(1)} pages/s, ${r.pages} pages, ${r.chunks} passages`);
  }
  console.log('target: READY in under 30 s\n');

  // 50 MB to a book id that does not exist: retrieval still receives the whole file (and answers
  // NOT_FOUND), so it all passes through the router, and no worker spends time on it.
  const metricsUrl = `http://127.0.0.1:${stack.ports.routerMetrics}/metrics`;
  const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(50 * 1024 * 1024)]);
  const before = await routerRss(metricsUrl);
  let peak = before;
  const sampler = setInterval(() => void routerRss(metricsUrl).then((rss) => (peak = Math.max(peak, rss))), 50);
  const started = performance.now();
  const answer = await uploadBook(stack.routerUrl, token, '00000000-0000-4000-8000-000000000000', big, 'fifty.pdf');
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, await routerRss(metricsUrl));
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
  console.log(`50 MB upload through the router in ${seconds.toFixed(1)} s (${JSON.stringify(answer.errors?.[0] ?? answer.data)})`);
  console.log(`router RSS: ${mb(before)} before, ${mb(peak)} peak (+${mb(peak - before)})\n`);
} finally {
  await stack.stop();
}
