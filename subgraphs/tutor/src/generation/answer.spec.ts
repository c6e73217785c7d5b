import { Worker } from 'node:worker_threads';
import { describe, expect, it } from '@jest/globals';
import type { StoredAnswer } from '../entities/chat.entity.ts';
import { coverage, headingOf, parseModelAnswer, renderAnswer, sourceLine, stripMarkers } from './answer.ts';
import type { GroundingPassage } from './grounding.ts';
import { paragraphs, streamPieces } from './text.ts';

const passage = (text: string, n: number): GroundingPassage => ({ text, bookId: `book-${n}`, pageStart: n, pageEnd: n + 1, section: '5.1 While loop', score: 1 });
const passages = [
  passage('A while loop repeats its body as long as its condition is true.\nWhen the condition becomes false, the loop ends.', 10),
  passage('An infinite loop never ends because its condition\nnever becomes false.', 12),
];

describe('parseModelAnswer', () => {
  it('reads the headings, keeps verbatim quotes (across line breaks) and drops [n] markers', () => {
    const a = parseModelAnswer(
      ['## Summary', 'A while loop repeats while a condition holds [1].', '## Explanation', 'It checks first [1].', '## Steps', '1. Check.', '2. Run the body.', '## Example', 'while x < 3:', '    x += 1', '## Check questions', '- When does it stop?', '## Sources', '[2] "its condition never becomes false"'].join('\n'),
      passages,
    );
    expect(a).toMatchObject({ summary: 'A while loop repeats while a condition holds.', explanation: 'It checks first.', steps: ['Check.', 'Run the body.'], example: 'while x < 3:\n    x += 1', checkQuestions: ['When does it stop?'], generator: 'LLM', grounded: true });
    expect(a.citations).toEqual([{ bookId: 'book-12', pageStart: 12, pageEnd: 13, quote: 'its condition never becomes false' }]);
  });

  it('replaces an invented quote with the closest sentence of the cited passage, and ignores passages that do not exist', () => {
    const a = parseModelAnswer('## Summary\nLoops.\n## Sources\n[1] "loops end when the condition is false, always"\n[7] "nothing"', passages);
    expect(a.citations).toEqual([{ bookId: 'book-10', pageStart: 10, pageEnd: 11, quote: 'When the condition becomes false, the loop ends.' }]);
  });

  it('cites the passages named in the text when there is no Sources section', () => {
    expect(parseModelAnswer('It repeats [2].', passages).citations.map((c) => c.bookId)).toEqual(['book-12']);
  });

  it('turns NOT IN MATERIAL into the honest answer', () => {
    expect(parseModelAnswer('NOT IN MATERIAL', passages)).toMatchObject({ grounded: false, citations: [], summary: 'This is not in your course material.' });
  });
});

/**
 * Parses each text with parseModelAnswer in a worker thread and returns the results and the time
 * the parsing took there. A parser that backtracks blocks its thread for minutes: the worker is
 * stopped after `deadlineMs` and the test fails, instead of the test run hanging.
 */
async function parseInWorker(texts: string[], grounding: GroundingPassage[], deadlineMs: number): Promise<{ ms: number; answers: StoredAnswer[] }> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     import(workerData.module).then(({ parseModelAnswer }) => {
       const started = performance.now();
       const answers = workerData.texts.map((t) => parseModelAnswer(t, workerData.passages));
       parentPort.postMessage({ ms: performance.now() - started, answers });
     });`,
    { eval: true, workerData: { module: new URL('./answer.ts', import.meta.url).href, texts, passages: grounding } },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`parseModelAnswer did not finish within ${deadlineMs} ms`)), deadlineMs);
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}

describe('parseModelAnswer on hostile model output (linear time)', () => {
  const spaces = (n: number) => ' '.repeat(n);
  const sourcesPassage = passages[0]!.text.replace(/\s+/g, ' ');
  const hostile = [
    `#${spaces(1_000)}!`, // the line: ~96 s of backtracking before
    `#${spaces(50_000)}!`,
    `####${spaces(50_000)}Summary${spaces(50_000)}!`,
    `${'#'.repeat(50_000)} Summary`,
    Array.from({ length: 5_000 }, (_, i) => `${'#'.repeat((i % 6) + 1)}${spaces(20)}${i % 2 ? 'Summary' : 'x'}${spaces(20)}:!`).join('\n'),
    `## Sources\n[1]${spaces(50_000)}x\ry`,
    `## Sources\n[1] "${spaces(50_000)}\ry`,
    `## Sources\n1${spaces(25_000)}:${spaces(25_000)}"${spaces(25_000)}”\u2028.`,
    `## Sources\n[1] ${'"'.repeat(50_000)}`,
    `## Sources\n[1] ${'“'.repeat(25_000)}${'”'.repeat(25_000)}\r`,
    `## Sources\n${'['.repeat(50_000)}${'1'.repeat(50_000)}${']'.repeat(50_000)}`,
    `## Sources\n${Array.from({ length: 5_000 }, (_, i) => `[${(i % 2) + 1}] "${i % 3 ? 'invented words' : sourcesPassage}"`).join('\n')}`,
    `## Summary\nA${spaces(50_000)}B [1]\n## Steps\n1.${spaces(50_000)}x${spaces(50_000)}[2]`,
    `It repeats ${'['.repeat(50_000)}2] ${'[1'.repeat(25_000)}`,
  ];

  it('parses answers with long runs of spaces, hashes, quotation marks and brackets in well under a second', async () => {
    const { ms, answers } = await parseInWorker(hostile, passages, 10_000);
    expect(ms).toBeLessThan(500);
    // What the lines still mean: not headings, no citation from a broken Sources line.
    expect(answers[0]).toMatchObject({ summary: `#${spaces(1_000)}!`, generator: 'LLM', grounded: true });
    expect(answers[2]!.summary.startsWith('####')).toBe(true);
    expect(answers[4]!.summary.startsWith(`#${spaces(20)}x${spaces(20)}:! ##${spaces(20)}Summary`)).toBe(true); // no headings
    expect(answers[5]!.citations.map((c) => c.bookId)).toEqual(['book-10']); // fallback: passage 1
    expect(answers[11]!.citations).toEqual([
      { bookId: 'book-10', pageStart: 10, pageEnd: 11, quote: sourcesPassage },
      { bookId: 'book-12', pageStart: 12, pageEnd: 13, quote: 'An infinite loop never ends because its condition never becomes false.' },
      { bookId: 'book-10', pageStart: 10, pageEnd: 11, quote: 'A while loop repeats its body as long as its condition is true.' },
    ]);
    expect(answers[12]).toMatchObject({ summary: `A${spaces(50_000)}B`, steps: [`x`] });
    for (const a of answers) expect(a.citations.length).toBeGreaterThan(0);
  });

  it('reads each cited passage once, however many Sources lines cite it', async () => {
    // Passages as long as retrieval's; 20,000 lines with quotes that are not in them.
    const long = [passage(`${passages[0]!.text} `.repeat(14), 10), passage(`${passages[1]!.text} `.repeat(20), 12)];
    const text = `## Summary\nLoops.\n## Sources\n${Array.from({ length: 20_000 }, (_, i) => `[${(i % 2) + 1}] "loops ${i} repeat"`).join('\n')}`;
    const { ms, answers } = await parseInWorker([text], long, 10_000);
    expect(ms).toBeLessThan(500);
    expect(answers[0]!.citations.map((c) => [c.bookId, c.quote])).toEqual([
      ['book-10', 'A while loop repeats its body as long as its condition is true.'],
      ['book-12', 'An infinite loop never ends because its condition never becomes false.'],
    ]);
  });
});

/** The patterns the answer parser used (they backtrack on long lines, so only short lines here). */
const before = {
  heading: (line: string) => {
    const name = line.match(/^\s*#{1,4}\s*([A-Za-z ]+?)\s*:?\s*$/)?.[1]?.toLowerCase();
    return name && ['summary', 'explanation', 'steps', 'example', 'check questions', 'sources'].includes(name) ? name : null;
  },
  source: (line: string) => {
    const m = line.match(/^\[?(\d+)\]?\s*[:\-–]?\s*["“]?(.*?)["”]?\s*$/);
    return m ? { n: Number(m[1]), quote: m[2]! } : null;
  },
  strip: (s: string) => s.replace(/\s*\[\d+\]/g, '').trim(),
};

describe('the linear-time line readers agree with the patterns they replace', () => {
  // Lines of up to 7 pieces drawn from what headings, sources and markers are made of.
  const pieces = ['#', '##', '####', '#####', ' ', '  ', '\t', '\r', '\u00a0', '\u2028', ':', '"', '“', '”', '[', ']', '[1]', '[23]', '7', '-', '–', '.', ')', '*', 'Summary', 'sources', 'CHECK QUESTIONS', 'check  questions', 'Steps', 'example', 'Explanation', 'Sum mary', 'chec\u212A questions', 'x', 'a b', '!'];
  let seed = 12345;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const lines = Array.from({ length: 30_000 }, () => Array.from({ length: 1 + random(7) }, () => pieces[random(pieces.length)]).join(''));

  const disagreements = (now: (line: string) => unknown, then: (line: string) => unknown) =>
    lines.map((line) => ({ line, now: now(line), then: then(line) })).filter((r) => JSON.stringify(r.now) !== JSON.stringify(r.then));

  it('headings', () => {
    expect(disagreements(headingOf, before.heading)).toEqual([]);
    expect(lines.filter((l) => before.heading(l)).length).toBeGreaterThan(100);
  });

  it('Sources lines', () => {
    expect(disagreements(sourceLine, before.source)).toEqual([]);
    expect(lines.filter((l) => before.source(l)?.quote).length).toBeGreaterThan(1000);
  });

  it('[n] markers', () => {
    expect(disagreements(stripMarkers, before.strip)).toEqual([]);
    expect(lines.filter((l) => /\[\d+\]/.test(l)).length).toBeGreaterThan(1000);
  });
});

describe('coverage', () => {
  it('needs most of the question’s words in one passage; code in the question does not count', () => {
    expect(coverage('When does a while loop end?', passages).covered).toBe(true);
    expect(coverage('Who painted the Mona Lisa?', passages).covered).toBe(false);
    expect(coverage('Why does this loop never end?\nwhile n_items > 0:\n    n_items += 1', passages).covered).toBe(true);
    expect(coverage('anything', []).covered).toBe(false);
  });
});

describe('text helpers', () => {
  it('undoes PDF line wrapping but keeps separate lines separate', () => {
    expect(paragraphs('An infinite loop never ends because its condition\nnever becomes false.\nTable 5.1')).toEqual(['An infinite loop never ends because its condition never becomes false.', 'Table 5.1']);
  });

  it('streams text in pieces that add up to it exactly', () => {
    const text = 'Line one.\n\n  Two  spaces here.';
    expect(streamPieces(text, 2).join('')).toBe(text);
  });

  it('renders what streams to the client', () => {
    const text = renderAnswer({ summary: 'S.', explanation: 'E.', steps: ['a'], example: null, checkQuestions: ['q?'], citations: [{ bookId: 'b', pageStart: 3, pageEnd: 3, quote: 'x' }], generator: 'EXTRACTIVE', cached: false, grounded: true }, 'EXPLAIN');
    expect(text).toBe('S.\n\nE.\n\nSteps:\n1. a\n\nCheck your understanding:\n- q?\n\nSources:\n- p. 3: “x”');
  });
});
