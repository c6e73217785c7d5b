// `npm run eval:tutor`: the tutor (extractive unless LLM_BASE_URL is set) answers every question of
// ../shared/data/qa/dev.jsonl in its book's course, through the router and graphql-ws. Prints how
// many answers are grounded, how many cite the question's gold pages, how many citations quote
// their pages verbatim, and how often an off-topic question is wrongly answered.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { startBenchStackAsAdmin, uploadBook, waitIngested } from './lib.ts';

type BookKey = 'intro-python-programming' | 'biology-2e-excerpt';
interface QaItem {
  book: BookKey;
  pages: [number, number];
  question: string;
}
interface Answer {
  status: string;
  answer: { grounded: boolean; generator: string; citations: { pageStart: number; pageEnd: number; quote: string }[] } | null;
}

const data = join(repoRoot, '..', 'shared', 'data');
const items = readFileSync(join(data, 'qa', 'dev.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as QaItem);
const OFF_TOPIC = [
  'Who painted the Mona Lisa?', 'What is the capital of France?', 'Who won the football world cup in 2014?', 'How do I change a flat tyre on my bike?',
  'What are the symptoms of the flu?', 'What is the plot of Hamlet?', 'How do I file my taxes?', 'What causes earthquakes and tsunamis?',
  'Explain supply and demand in economics', 'What is the speed of light?', 'How do I make a good espresso?', 'When did the Roman empire fall?',
];
const squash = (s: string) => s.replace(/\s+/g, ' ');

const { stack, token, run } = await startBenchStackAsAdmin({ TUTOR_MAX_CONCURRENT_PER_USER: '1000' });
const ws = createClient({ url: stack.routerUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
try {
  await run(`mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }`, {
    d: 'faculty,department,semester,course_code,course_title\nEngineering,Computer Science,Fall 2026,CS101,Introduction to Python\nScience,Biology,Fall 2026,BIO101,Biology I',
  });
  const tree = await run(`{ faculties { departments { semesters { courses { id code } } } } }`);
  const courses = new Map<string, string>();
  for (const f of tree.faculties) for (const d of f.departments) for (const s of d.semesters) for (const c of s.courses) courses.set(c.code, c.id);
  const session: Record<BookKey, { courseId: string; sessionId: string; pages: Map<number, string> }> = {} as never;
  for (const [key, code] of [['intro-python-programming', 'CS101'], ['biology-2e-excerpt', 'BIO101']] as const) {
    const courseId = courses.get(code)!;
    const bookId = (await run(`mutation($c: ID!, $t: String!) { createBook(courseId: $c, title: $t, authors: ["OpenStax"]) { id } }`, { c: courseId, t: key })).createBook.id as string;
    await uploadBook(stack.routerUrl, token, bookId, readFileSync(join(data, 'textbooks', `${key}.pdf`)), `${key}.pdf`);
    if ((await waitIngested(stack.routerUrl, token, courseId, bookId)).status !== 'READY') throw new Error(`${key} not ingested`);
    const sessionId = (await run(`mutation($c: ID!) { startChatSession(courseId: $c, title: "eval") { id } }`, { c: courseId })).startChatSession.id as string;
    session[key] = { courseId, sessionId, pages: new Map() };
  }
  // The text of each book's passages by page, to check that quotes are verbatim.
  const passagesFor = async (key: BookKey, query: string) =>
    (await run(`query($c: ID!, $q: String!) { searchCourseMaterial(courseId: $c, query: $q, limit: 20) { text pageStart pageEnd } }`, { c: session[key].courseId, q: query })).searchCourseMaterial as { text: string; pageStart: number; pageEnd: number }[];

  const ask = async (key: BookKey, question: string): Promise<Answer> => {
    const id = (await run(`mutation($s: ID!, $q: String!) { askTutor(sessionId: $s, question: $q) { id } }`, { s: session[key].sessionId, q: question })).askTutor.id as string;
    for await (const r of ws.iterate<{ tutorAnswer: { done: boolean; message: Answer | null } }>({
      query: `subscription($m: ID!) { tutorAnswer(messageId: $m) { done message { status answer { grounded generator citations { pageStart pageEnd quote } } } } }`,
      variables: { m: id },
    })) {
      if (r.errors) throw new Error(JSON.stringify(r.errors));
      if (r.data!.tutorAnswer.done) return r.data!.tutorAnswer.message!;
    }
    throw new Error('stream ended without a final event');
  };

  const perBook = new Map<BookKey, { n: number; grounded: number; goldCited: number; citations: number; verbatim: number }>();
  let generator = '';
  for (const it of items) {
    const a = await ask(it.book, it.question);
    const acc = perBook.get(it.book) ?? { n: 0, grounded: 0, goldCited: 0, citations: 0, verbatim: 0 };
    acc.n++;
    if (a.status === 'COMPLETE' && a.answer?.grounded) {
      generator = a.answer.generator;
      acc.grounded++;
      if (a.answer.citations.some((c) => c.pageStart <= it.pages[1] && c.pageEnd >= it.pages[0])) acc.goldCited++;
      for (const c of a.answer.citations) {
        acc.citations++;
        const pages = await passagesFor(it.book, c.quote);
        if (pages.some((p) => p.pageStart === c.pageStart && p.pageEnd === c.pageEnd && squash(p.text).includes(squash(c.quote)))) acc.verbatim++;
      }
    }
    perBook.set(it.book, acc);
  }
  let offAnswered = 0;
  for (const q of OFF_TOPIC) for (const key of ['intro-python-programming', 'biology-2e-excerpt'] as const) if ((await ask(key, q)).answer?.grounded) offAnswered++;

  console.log(`\nTutor over qa/dev.jsonl (${items.length} questions), generator ${generator || 'n/a'}, through the router and graphql-ws, ${process.version}\n`);
  console.log('book                      | questions | grounded | cites gold pages | verbatim quotes');
  console.log('--------------------------|-----------|----------|------------------|----------------');
  for (const [book, a] of perBook) {
    console.log(`${book.padEnd(25)} | ${String(a.n).padStart(9)} | ${(a.grounded / a.n).toFixed(3).padStart(8)} | ${(a.goldCited / a.n).toFixed(3).padStart(16)} | ${a.verbatim}/${a.citations}`);
  }
  console.log(`\noff-topic questions answered as if covered: ${offAnswered} of ${OFF_TOPIC.length * 2} (each asked in both courses)\n`);
} finally {
  await ws.dispose();
  await stack.stop();
}
