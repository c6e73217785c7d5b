// `npm run eval:retrieval`: both textbooks ingested into two courses (different faculties) through
// the router, then every question of ../shared/data/qa/dev.jsonl searched in its own course.
// Prints recall@5 and MRR (a hit is a top-5 passage whose page span overlaps the question's gold
// pages), search latency, passage sizes, and the number of passages from the wrong course (must be 0).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { startBenchStackAsAdmin, uploadBook, waitIngested } from './lib.ts';

const K = 5;
const data = join(repoRoot, '..', 'shared', 'data');
type BookKey = 'intro-python-programming' | 'biology-2e-excerpt';

interface QaItem {
  id: string;
  book: BookKey;
  pages: [number, number];
  question: string;
}
interface PassageHit {
  pageStart: number;
  pageEnd: number;
  text: string;
  book: { id: string };
}

const items = readFileSync(join(data, 'qa', 'dev.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as QaItem);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const { stack, token, run } = await startBenchStackAsAdmin();
try {
  await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, {
    d: 'faculty,department,semester,course_code,course_title\nEngineering,Computer Science,Fall 2026,CS101,Introduction to Python\nScience,Biology,Fall 2026,BIO101,Biology I',
  });
  const tree = await run(`{ faculties { departments { semesters { courses { id code } } } } }`);
  const courses = new Map<string, string>();
  for (const f of tree.faculties) for (const d of f.departments) for (const s of d.semesters) for (const c of s.courses) courses.set(c.code, c.id);

  // Ingest both books; each course holds exactly one.
  const course: Record<BookKey, { courseId: string; bookId: string }> = {} as never;
  for (const [key, code] of [['intro-python-programming', 'CS101'], ['biology-2e-excerpt', 'BIO101']] as const) {
    const courseId = courses.get(code)!;
    const bookId = (await run(`mutation($c: ID!, $t: String!) { createBook(courseId: $c, title: $t, authors: ["OpenStax"]) { id } }`, { c: courseId, t: key })).createBook.id as string;
    const started = performance.now();
    const up = await uploadBook(stack.routerUrl, token, bookId, readFileSync(join(data, 'textbooks', `${key}.pdf`)), `${key}.pdf`);
    if (up.errors) throw new Error(JSON.stringify(up.errors));
    const done = await waitIngested(stack.routerUrl, token, courseId, bookId);
    if (done.status !== 'READY') throw new Error(`${key}: ingestion ${done.status}: ${done.error}`);
    console.log(`ingested ${key}: ${done.pageCount} pages, ${done.chunkCount} passages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    course[key] = { courseId, bookId };
  }

  const search = `query($c: ID!, $q: String!, $n: Int) { searchCourseMaterial(courseId: $c, query: $q, limit: $n) { pageStart pageEnd text book { id } } }`;
  // Warm-up (JIT, connection pools) so that latencies describe steady state.
  for (const it of items.slice(0, 10)) await run(search, { c: course[it.book].courseId, q: it.question, n: K });

  const latencies: number[] = [];
  const perBook = new Map<BookKey, { n: number; hits: number; rr: number }>();
  let wrongCourse = 0;
  let overlong = 0;
  let maxWords = 0;
  let maxPages = 0;
  for (const it of items) {
    const { courseId, bookId } = course[it.book];
    const t0 = performance.now();
    const res = await run<{ searchCourseMaterial: PassageHit[] }>(search, { c: courseId, q: it.question, n: K });
    latencies.push(performance.now() - t0);
    const hits = res.searchCourseMaterial;
    wrongCourse += hits.filter((h) => h.book.id !== bookId).length;
    for (const h of hits) {
      const words = h.text.split(/\s+/).filter(Boolean).length;
      const pages = h.pageEnd - h.pageStart + 1;
      maxWords = Math.max(maxWords, words);
      maxPages = Math.max(maxPages, pages);
      if (words > 600 || pages > 3) overlong++;
    }
    const rank = hits.findIndex((h) => h.pageStart <= it.pages[1] && h.pageEnd >= it.pages[0]);
    const acc = perBook.get(it.book) ?? { n: 0, hits: 0, rr: 0 };
    acc.n++;
    if (rank >= 0) {
      acc.hits++;
      acc.rr += 1 / (rank + 1);
    }
    perBook.set(it.book, acc);
  }

  latencies.sort((a, b) => a - b);
  const total = [...perBook.values()].reduce((a, b) => ({ n: a.n + b.n, hits: a.hits + b.hits, rr: a.rr + b.rr }), { n: 0, hits: 0, rr: 0 });
  console.log(`\nRetrieval over qa/dev.jsonl (${items.length} questions), top ${K}, through the router, ${process.version}\n`);
  console.log('book                      | questions | recall@5 | MRR');
  console.log('--------------------------|-----------|----------|------');
  for (const [book, a] of [...perBook, ['all' as BookKey, total] as const]) {
    console.log(`${book.padEnd(25)} | ${String(a.n).padStart(9)} | ${(a.hits / a.n).toFixed(3).padStart(8)} | ${(a.rr / a.n).toFixed(3)}`);
  }
  console.log(`\nsearch latency (client → router → retrieval): p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`);
  console.log(`largest passage returned: ${maxWords} words, ${maxPages} pages; over 600 words or 3 pages: ${overlong}`);
  console.log(`passages from the wrong course: ${wrongCourse} (must be 0)`);
  console.log(`target: recall@5 ≥ 0.80 on intro-python-programming with the offline embedder\n`);
  if (wrongCourse > 0 || overlong > 0) process.exitCode = 1;
} finally {
  await stack.stop();
}
