// `npm run eval:retrieval`: both textbooks ingested into two courses (different faculties) through
// the router, then every question of ../shared/data/qa/dev.jsonl searched in its own course.
// Prints recall@5 and MRR (a hit is a top-5 passage whose page span overlaps the question's gold
// pages), search latency, passage sizes, and the number of passages from the wrong course (must be 0).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { startBenchStackAsAdmin, type TextbookKey, textbookCourses } from './lib.ts';

const K = 5;
const data = join(repoRoot, '..', 'shared', 'data');
type BookKey = TextbookKey;

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

const admin = await startBenchStackAsAdmin();
const { stack, run } = admin;
try {
  // Both books, each in its own course.
  const course = await textbookCourses(admin);

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
