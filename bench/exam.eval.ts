// `npm run eval:exam`: exams generated through the router by the offline generator (no LLM
// configured) from each chapter of the Python textbook and from the Biology excerpt (whole, and
// each chapter), 10 multiple-choice + 2 short-answer items asked of each. Prints per exam and per
// book: items asked / made; duplicate pairs (same source quote, or prompts at or above the gates'
// near-duplicate similarity); quotes found verbatim in the text of the pages they cite (the PDF
// extracted and cleaned as ingestion does); multiple-choice items with exactly one correct option,
// whose text stands in the quote while no distractor's does; and answerability — the share of items
// whose source pages overlap a top-5 passage of searchCourseMaterial(prompt), beside the same
// measure for the OpenStax dev questions of ../shared/data/qa/dev.jsonl. Then a few sample items.
// EVAL_EXAM_DUMP=file.json writes every generated item there.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { NEAR_DUPLICATE_THRESHOLD, promptSimilarity } from '../subgraphs/exam/src/generation/gates.ts';
import { collapse, containsTerm } from '../subgraphs/exam/src/generation/text.ts';
import { cleanPages } from '../subgraphs/retrieval/src/ingest/clean.ts';
import { extractPdfText } from '../subgraphs/retrieval/src/ingest/pdf-text.ts';
import { pool, startBenchStackAsAdmin, type TextbookKey, textbookCourses } from './lib.ts';

const MC = Number(process.env.EVAL_MC ?? 10);
const SA = Number(process.env.EVAL_SA ?? 2);
const PARALLEL = Number(process.env.EVAL_PARALLEL ?? 3);
const K = 5;
const BOOKS: TextbookKey[] = ['intro-python-programming', 'biology-2e-excerpt'];
const data = join(repoRoot, '..', 'shared', 'data');

interface Module {
  chapter: string | null;
  chapter_number: number | null;
  first_page: number;
  last_page: number;
}
interface Item {
  id: string;
  type: 'MULTIPLE_CHOICE' | 'SHORT_ANSWER';
  prompt: string;
  options: { id: string; text: string }[];
  correctOptionId: string | null;
  modelAnswer: string | null;
  rubric: string[] | null;
  source: { pageStart: number; pageEnd: number; quote: string; book: { id: string } };
}
interface Job {
  book: TextbookKey;
  label: string;
  pageStart: number | null;
  pageEnd: number | null;
}
interface Result extends Job {
  status: string;
  notice: string | null;
  error: string | null;
  generator: string;
  seconds: number;
  items: Item[];
  duplicates: string[];
  verbatim: number;
  mc: number;
  singleSupported: number;
  answerable: number;
  outsidePages: number;
  widerCitation: number;
  failures: string[];
}

/** Chapters of a book from its modules file: [number, title, first page, last page]. */
function chapters(book: TextbookKey): { n: number; title: string; first: number; last: number }[] {
  const modules = JSON.parse(readFileSync(join(data, 'textbooks', `${book}.modules.json`), 'utf8')) as Module[];
  const out = new Map<number, { n: number; title: string; first: number; last: number }>();
  for (const m of modules) {
    if (m.chapter_number === null) continue;
    const c = out.get(m.chapter_number) ?? { n: m.chapter_number, title: m.chapter ?? '', first: m.first_page, last: m.last_page };
    c.first = Math.min(c.first, m.first_page);
    c.last = Math.max(c.last, m.last_page);
    out.set(m.chapter_number, c);
  }
  return [...out.values()].sort((a, b) => a.n - b.n);
}

const overlaps = (a: { pageStart: number; pageEnd: number }, start: number, end: number) => a.pageStart <= end && a.pageEnd >= start;
const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)} %` : 'n/a');
const frac = (n: number, d: number) => `${n}/${d}`;
const short = (s: string, n: number) => (collapse(s).length > n ? `${collapse(s).slice(0, n - 1)}…` : collapse(s));

const admin = await startBenchStackAsAdmin();
const { stack, run } = admin;
try {
  const courses = await textbookCourses(admin);

  // The text of every page, as ingestion sees it (cleaned lines; index 0 = page 1).
  const pages = {} as Record<TextbookKey, string[]>;
  for (const book of BOOKS) {
    const pdf = await extractPdfText(new Uint8Array(readFileSync(join(data, 'textbooks', `${book}.pdf`))), { maxPages: 2_000, maxChars: 20_000_000 });
    pages[book] = cleanPages(pdf.pages).map((lines) => lines.join('\n'));
  }
  const pageText = (book: TextbookKey, start: number, end: number) => collapse(pages[book].slice(start - 1, end).join(' '));

  const search = async (book: TextbookKey, query: string) =>
    (await run(`query($c: ID!, $q: String!, $n: Int) { searchCourseMaterial(courseId: $c, query: $q, limit: $n) { pageStart pageEnd } }`, { c: courses[book].courseId, q: query, n: K }))
      .searchCourseMaterial as { pageStart: number; pageEnd: number }[];

  const jobs: Job[] = [
    ...chapters('intro-python-programming').map((c) => ({ book: 'intro-python-programming' as const, label: `${c.n} ${c.title}`, pageStart: c.first, pageEnd: c.last })),
    { book: 'biology-2e-excerpt', label: 'whole excerpt', pageStart: null, pageEnd: null },
    ...chapters('biology-2e-excerpt').map((c) => ({ book: 'biology-2e-excerpt' as const, label: `${c.n} ${c.title}`, pageStart: c.first, pageEnd: c.last })),
  ];

  const EXAM = `query($id: ID!) { exam(id: $id) { status notice error generator
    items { id type prompt options { id text } correctOptionId modelAnswer rubric source { pageStart pageEnd quote book { id } } } } }`;
  const started = performance.now();
  const results = await pool(jobs, PARALLEL, async (job): Promise<Result> => {
    const t0 = performance.now();
    const input = {
      courseId: courses[job.book].courseId,
      title: `${job.book} ${job.label}`,
      bookIds: [courses[job.book].bookId],
      multipleChoice: MC,
      shortAnswer: SA,
      ...(job.pageStart !== null ? { pageStart: job.pageStart, pageEnd: job.pageEnd } : {}),
    };
    const examId = (await run(`mutation($i: GenerateExamInput!) { generateExam(input: $i) { id } }`, { i: input })).generateExam.id as string;
    let exam: { status: string; notice: string | null; error: string | null; generator: string; items: Item[] };
    const deadline = Date.now() + 300_000;
    for (;;) {
      exam = (await run(EXAM, { id: examId })).exam;
      if (exam.status !== 'GENERATING') break;
      if (Date.now() > deadline) throw new Error(`${job.label}: still generating after 5 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - t0) / 1000;
    const items = exam.items;
    const failures: string[] = [];

    // Duplicates: two items on one source quote, or near-identical prompts.
    const duplicates: string[] = [];
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i]!;
        const b = items[j]!;
        const sameQuote = collapse(a.source.quote).toLowerCase() === collapse(b.source.quote).toLowerCase();
        const sim = promptSimilarity(a.prompt, b.prompt);
        if (sameQuote || sim >= NEAR_DUPLICATE_THRESHOLD) duplicates.push(`${sameQuote ? 'same quote' : `prompt similarity ${sim.toFixed(2)}`}: "${short(a.prompt, 90)}" / "${short(b.prompt, 90)}"`);
      }
    }

    let verbatim = 0;
    let mc = 0;
    let singleSupported = 0;
    let outsidePages = 0;
    let answerable = 0;
    let widerCitation = 0;
    for (const item of items) {
      const { pageStart, pageEnd, quote } = item.source;
      if (collapse(quote) && pageText(job.book, pageStart, pageEnd).includes(collapse(quote))) verbatim++;
      else failures.push(`quote not on pp. ${pageStart}–${pageEnd}: "${short(quote, 120)}"`);
      // The pages the quote itself stands on (all cited pages when it runs across a page break).
      const on = Array.from({ length: pageEnd - pageStart + 1 }, (_, k) => pageStart + k).filter((p) => pageText(job.book, p, p).includes(collapse(quote)));
      const quotePages = on.length ? on : Array.from({ length: pageEnd - pageStart + 1 }, (_, k) => pageStart + k);
      if (on.length && pageEnd > pageStart && on.length < pageEnd - pageStart + 1) widerCitation++;
      if (job.pageStart !== null && !quotePages.some((p) => p >= job.pageStart! && p <= job.pageEnd!)) {
        outsidePages++;
        failures.push(`from outside pp. ${job.pageStart}–${job.pageEnd} (quote on p. ${quotePages.join(', ')}): "${short(item.prompt, 90)}"`);
      }
      if (item.type === 'MULTIPLE_CHOICE') {
        mc++;
        const correct = item.options.filter((o) => o.id === item.correctOptionId);
        // As a whole word or phrase ("sys" does not occur in "system").
        const occurs = (text: string) => containsTerm(quote, text);
        const distractorsInQuote = item.options.filter((o) => o.id !== item.correctOptionId && occurs(o.text));
        if (correct.length === 1 && occurs(correct[0]!.text) && !distractorsInQuote.length) singleSupported++;
        else
          failures.push(
            correct.length !== 1
              ? `${correct.length} options match the key: "${short(item.prompt, 90)}"`
              : !occurs(correct[0]!.text)
                ? `correct option "${short(correct[0]!.text, 60)}" not in the quote "${short(quote, 120)}" ("${short(item.prompt, 80)}")`
                : `distractor ${distractorsInQuote.map((o) => `"${short(o.text, 40)}"`).join(', ')} also in the quote "${short(quote, 120)}" ("${short(item.prompt, 80)}")`,
          );
      }
      const hits = await search(job.book, item.prompt);
      if (hits.some((h) => overlaps(h, pageStart, pageEnd))) answerable++;
      else failures.push(`not answerable: no top-${K} passage on pp. ${pageStart}–${pageEnd} for "${short(item.prompt, 90)}" (got ${hits.map((h) => `${h.pageStart}–${h.pageEnd}`).join(', ')})`);
    }
    return { ...job, status: exam.status, notice: exam.notice, error: exam.error, generator: exam.generator, seconds, items, duplicates, verbatim, mc, singleSupported, answerable, outsidePages, widerCitation, failures };
  });
  const totalSeconds = (performance.now() - started) / 1000;

  // The reference: the OpenStax dev questions, searched the same way against their gold pages.
  const dev = readFileSync(join(data, 'qa', 'dev.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { book: TextbookKey; pages: [number, number]; question: string });
  const devAnswerable = new Map<TextbookKey, { n: number; hits: number }>();
  for (const q of dev) {
    const acc = devAnswerable.get(q.book) ?? { n: 0, hits: 0 };
    acc.n++;
    if ((await search(q.book, q.question)).some((h) => overlaps(h, q.pages[0], q.pages[1]))) acc.hits++;
    devAnswerable.set(q.book, acc);
  }

  const asked = MC + SA;
  const generator = results.find((r) => r.generator)?.generator ?? 'n/a';
  console.log(`\nExam generation (${generator} generator), ${MC} multiple-choice + ${SA} short-answer asked per exam, ${results.length} exams through the router in ${totalSeconds.toFixed(1)} s, ${process.version}\n`);
  const head = 'exam                                  | pages   | made (MC+SA) | dup | verbatim | 1 supported key | answerable | s';
  for (const book of BOOKS) {
    console.log(book);
    console.log(head);
    console.log(head.replace(/[^|]/g, '-'));
    for (const r of results.filter((x) => x.book === book)) {
      const made = r.status === 'DRAFT' ? `${r.items.length}/${asked} (${r.mc}+${r.items.length - r.mc})` : r.status;
      const span = r.pageStart === null ? 'all' : `${r.pageStart}–${r.pageEnd}`;
      console.log(
        `${short(r.label, 37).padEnd(37)} | ${span.padEnd(7)} | ${made.padEnd(12)} | ${String(r.duplicates.length).padStart(3)} | ${frac(r.verbatim, r.items.length).padStart(8)} | ${frac(r.singleSupported, r.mc).padStart(15)} | ${frac(r.answerable, r.items.length).padStart(10)} | ${r.seconds.toFixed(1)}`,
      );
    }
    console.log('');
  }

  console.log('book                      | exams | items asked / made | duplicate pairs | quotes verbatim | single supported key (MC) | answerable (items) | answerable (dev questions)');
  console.log('--------------------------|-------|--------------------|-----------------|-----------------|---------------------------|--------------------|---------------------------');
  for (const book of BOOKS) {
    const rs = results.filter((r) => r.book === book);
    const sum = (f: (r: Result) => number) => rs.reduce((s, r) => s + f(r), 0);
    const made = sum((r) => r.items.length);
    const d = devAnswerable.get(book) ?? { n: 0, hits: 0 };
    console.log(
      `${book.padEnd(25)} | ${String(rs.length).padStart(5)} | ${`${rs.length * asked} / ${made}`.padStart(18)} | ${String(sum((r) => r.duplicates.length)).padStart(15)} | ${pct(sum((r) => r.verbatim), made).padStart(15)} | ${pct(sum((r) => r.singleSupported), sum((r) => r.mc)).padStart(25)} | ${`${pct(sum((r) => r.answerable), made)} (${sum((r) => r.answerable)}/${made})`.padStart(18)} | ${pct(d.hits, d.n)} (${d.hits}/${d.n})`,
    );
  }
  console.log(`\nanswerability: an item's source pages overlap one of the top ${K} passages of searchCourseMaterial(prompt) in its course; a dev question's gold pages likewise`);
  console.log('targets: duplicates 0, quotes verbatim 100 %, single supported key 100 %\n');

  const notices = results.filter((r) => r.notice || r.error);
  if (notices.length) {
    console.log('notices:');
    for (const r of notices) console.log(`  ${r.book} ${r.label}: ${r.error ?? r.notice}`);
    console.log('');
  }
  const chapterExams = results.filter((r) => r.pageStart !== null);
  const chapterItems = chapterExams.reduce((a, r) => a + r.items.length, 0);
  const outside = chapterExams.filter((r) => r.outsidePages);
  console.log(`chapter exams: items whose quote stands only on pages outside the chapter asked for: ${outside.reduce((a, r) => a + r.outsidePages, 0)}/${chapterItems}${outside.length ? ` (${outside.map((r) => `${r.label}: ${r.outsidePages}`).join(', ')})` : ''}`);
  const wider = results.reduce((a, r) => a + r.widerCitation, 0);
  console.log(`items citing more pages than their quote stands on: ${wider}/${results.reduce((a, r) => a + r.items.length, 0)}\n`);
  const problems = results.flatMap((r) => [...r.duplicates.map((d) => `${r.label}: duplicate, ${d}`), ...r.failures.map((f) => `${r.label}: ${f}`)]);
  if (problems.length) {
    console.log(`check failures (${problems.length}):`);
    for (const p of problems.slice(0, 40)) console.log(`  ${p}`);
    if (problems.length > 40) console.log(`  … and ${problems.length - 40} more`);
    console.log('');
  }

  // A few items per book, spread over its exams, for a reader to judge.
  for (const book of BOOKS) {
    const all = results.filter((r) => r.book === book).flatMap((r) => r.items.map((item) => ({ r, item })));
    const mcs = all.filter((x) => x.item.type === 'MULTIPLE_CHOICE');
    const sas = all.filter((x) => x.item.type === 'SHORT_ANSWER');
    const pick = <T>(xs: T[], n: number) => Array.from({ length: Math.min(n, xs.length) }, (_, i) => xs[Math.floor(((i + 0.5) * xs.length) / Math.min(n, xs.length))]!);
    console.log(`samples — ${book}`);
    for (const { r, item } of [...pick(mcs, 4), ...pick(sas, 1)]) {
      console.log(`\n  [${r.label}, pp. ${item.source.pageStart}–${item.source.pageEnd}] ${collapse(item.prompt)}`);
      for (const o of item.options) console.log(`    ${o.id === item.correctOptionId ? '✓' : ' '} ${collapse(o.text)}`);
      if (item.type === 'SHORT_ANSWER') {
        console.log(`    model answer: ${short(item.modelAnswer ?? '', 200)}`);
        console.log(`    rubric: ${(item.rubric ?? []).map((x) => `"${short(x, 80)}"`).join('; ')}`);
      }
      console.log(`    quote: "${short(item.source.quote, 200)}"`);
    }
    console.log('');
  }

  if (process.env.EVAL_EXAM_DUMP) writeFileSync(process.env.EVAL_EXAM_DUMP, JSON.stringify(results, null, 1));
} finally {
  await stack.stop();
}
