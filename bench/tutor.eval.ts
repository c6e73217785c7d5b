// `npm run eval:tutor`: the tutor (extractive unless LLM_BASE_URL is set) answers every question of
// ../shared/data/qa/dev.jsonl in its book's course, through the router and graphql-ws. Prints how
// many answers are grounded, how many cite the question's gold pages, how many citations quote
// their pages verbatim, and how often an off-topic question is wrongly answered.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@ai-teacher/shared';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { startBenchStackAsAdmin, type TextbookKey, textbookCourses } from './lib.ts';

type BookKey = TextbookKey;
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

const admin = await startBenchStackAsAdmin({ TUTOR_MAX_CONCURRENT_PER_USER: '1000' });
const { stack, token, run } = admin;
const ws = createClient({ url: stack.routerUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
try {
  const courses = await textbookCourses(admin);
  const session = {} as Record<BookKey, { courseId: string; sessionId: string }>;
  for (const [key, { courseId }] of Object.entries(courses) as [BookKey, { courseId: string }][]) {
    const sessionId = (await run(`mutation($c: ID!) { startChatSession(courseId: $c, title: "eval") { id } }`, { c: courseId })).startChatSession.id as string;
    session[key] = { courseId, sessionId };
  }
  // Passages matching a quote, to check that it is verbatim on its pages.
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
