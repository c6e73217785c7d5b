// The offline generator on the real textbooks (../shared/data), parsed the way retrieval ingests them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@ai-teacher/shared';
import { chunkPages } from '../../../../retrieval/src/ingest/chunk.ts';
import { cleanPages } from '../../../../retrieval/src/ingest/clean.ts';
import { extractPdfText } from '../../../../retrieval/src/ingest/pdf-text.ts';
import { assembleExam } from '../assemble.ts';
import { itemSentences } from '../gates.ts';
import { isCodeLike } from '../text.ts';
import type { CandidateItem, GenerationRequest, ItemType, SourcePassage } from '../types.ts';
import { OfflineGenerator } from './index.ts';
import { aboutWords, related, topicWords } from './objectives.ts';
import { wordsNeeded } from './short-answer.ts';

const PY = 'intro-python-programming';
const BIO = 'biology-2e-excerpt';
const textbooks = join(repoRoot, '..', 'shared', 'data', 'textbooks');

async function load(book: string): Promise<SourcePassage[]> {
  const pdf = await extractPdfText(new Uint8Array(readFileSync(join(textbooks, `${book}.pdf`))), { maxPages: 2000, maxChars: 20_000_000 });
  return chunkPages(cleanPages(pdf.pages)).map((c) => ({ bookId: book, index: c.index, text: c.text, pageStart: c.pageStart, pageEnd: c.pageEnd, section: c.section }));
}

interface Module {
  chapter_number: number | null;
  section_number: string | null;
  first_page: number;
  last_page: number;
}
const modules = (book: string) => JSON.parse(readFileSync(join(textbooks, `${book}.modules.json`), 'utf8')) as Module[];

/** Page range of each chapter, from the data set's own module list (not from our parsing). */
function chapters(book: string): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const m of modules(book)) {
    if (m.chapter_number === null) continue;
    const had = out.get(m.chapter_number);
    out.set(m.chapter_number, had ? [Math.min(had[0], m.first_page), Math.max(had[1], m.last_page)] : [m.first_page, m.last_page]);
  }
  return out;
}

const flat = (s: string) => s.replace(/\s+/g, ' ').trim();
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The phrase as a whole word or phrase, any case. */
const has = (text: string, phrase: string) => new RegExp(`(?<![\\w])${esc(flat(phrase))}(?![\\w])`, 'i').test(flat(text));
const EXERCISE = /Write a program|Run the program|Try It|Checkpoint|Concepts in Practice|Review Questions|Critical Thinking|Visual Connection|Art Connection/i;

async function all(passages: SourcePassage[], type: ItemType, seed = 'spec'): Promise<CandidateItem[]> {
  const out: CandidateItem[] = [];
  for await (const c of new OfflineGenerator().candidates({ passages, multipleChoice: 10, shortAnswer: 3, seed }, type, 10)) out.push(c);
  return out;
}

/** What a teacher would object to in a set of items, as readable lines (empty when sound). */
function problems(items: CandidateItem[], passages: SourcePassage[], book: string): string[] {
  const out: string[] = [];
  const ranges = chapters(book);
  const texts = new Map<number, string>();
  const chapterText = (page: number) => {
    if (!texts.has(page)) {
      const ch = [...ranges.values()].filter(([a, b]) => page >= a && page <= b);
      texts.set(page, flat(passages.filter((p) => ch.some(([a, b]) => p.pageEnd >= a && p.pageStart <= b)).map((p) => p.text).join('\n')));
    }
    return texts.get(page)!;
  };
  const origins = new Set<string>();
  const prompts = new Set<string>();
  const sentences = new Map<string, string>();
  for (const item of items) {
    const tag = `[${item.prompt.slice(0, 70)}]`;
    for (const s of itemSentences(item)) {
      if (sentences.has(s)) out.push(`${tag} uses a sentence of ${sentences.get(s)}: ${s.slice(0, 60)}`);
      sentences.set(s, tag);
    }
    const holder = passages.find((p) => p.bookId === item.source.bookId && p.pageStart === item.source.pageStart && p.pageEnd === item.source.pageEnd && flat(p.text).includes(flat(item.source.quote)));
    if (!holder) out.push(`${tag} quote not verbatim in a passage of pages ${item.source.pageStart}-${item.source.pageEnd}`);
    if (origins.has(item.origin)) out.push(`${tag} origin repeated`);
    if (prompts.has(flat(item.prompt).toLowerCase())) out.push(`${tag} prompt repeated`);
    origins.add(item.origin);
    prompts.add(flat(item.prompt).toLowerCase());
    for (const t of [item.prompt, item.source.quote, ...item.options, ...item.rubric]) if (EXERCISE.test(t) || /\[Image|^(?:Figure|Table) \d/.test(t)) out.push(`${tag} exercise or caption text: ${t.slice(0, 60)}`);
    if (item.type === 'MULTIPLE_CHOICE') {
      const { options, correctIndex } = item;
      if (options.length < 3 || options.length > 4 || correctIndex === null || !options[correctIndex]) {
        out.push(`${tag} ${options.length} options, correct ${correctIndex}`);
        continue;
      }
      if (!has(item.source.quote, options[correctIndex])) out.push(`${tag} answer "${options[correctIndex]}" not in its quote`);
      if (has(item.prompt, options[correctIndex])) out.push(`${tag} prompt gives the answer away`);
      const text = `${chapterText(item.source.pageStart)}\n${chapterText(item.source.pageEnd)}`;
      options.forEach((o, i) => {
        if (i !== correctIndex && has(item.source.quote, o)) out.push(`${tag} distractor "${o}" stands in the quote`);
        if (!has(text, o)) out.push(`${tag} option "${o}" is not a term of the item's chapter`);
      });
      if (new Set(options.map(isCodeLike)).size !== 1) out.push(`${tag} options mix code and prose: ${options.join(' | ')}`);
      if (item.points !== 1) out.push(`${tag} ${item.points} points`);
    } else {
      if (item.rubric.length < 2 || item.rubric.length > 4) out.push(`${tag} ${item.rubric.length} rubric points`);
      if (item.points !== item.rubric.length) out.push(`${tag} points ${item.points} for ${item.rubric.length} rubric points`);
      if (item.modelAnswer !== item.rubric.join(' ')) out.push(`${tag} model answer is not the rubric`);
      if (item.rubric[0] !== item.source.quote) out.push(`${tag} quote is not the first rubric point`);
      for (const r of item.rubric) if (!passages.some((p) => p.bookId === book && flat(p.text).includes(flat(r)))) out.push(`${tag} rubric point not verbatim: ${r.slice(0, 60)}`);
    }
  }
  return out;
}

let python: SourcePassage[] = [];
let biology: SourcePassage[] = [];
let pyMc: CandidateItem[] = [];
let pySa: CandidateItem[] = [];
let bioMc: CandidateItem[] = [];
let bioSa: CandidateItem[] = [];

beforeAll(async () => {
  [python, biology] = await Promise.all([load(PY), load(BIO)]);
  [pyMc, pySa, bioMc, bioSa] = await Promise.all([all(python, 'MULTIPLE_CHOICE'), all(python, 'SHORT_ANSWER'), all(biology, 'MULTIPLE_CHOICE'), all(biology, 'SHORT_ANSWER')]);
}, 60_000);

describe('OfflineGenerator on the Python book', () => {
  it('meets a 10 multiple-choice + 3 short-answer request for every chapter, with sound items', async () => {
    const made: Record<number, string> = {};
    const faults: string[] = [];
    for (const [chapter, [first, last]] of chapters(PY)) {
      const passages = python.filter((p) => p.pageStart >= first && p.pageStart <= last);
      const exam = await assembleExam(new OfflineGenerator(), { passages, multipleChoice: 10, shortAnswer: 3, seed: `chapter-${chapter}` });
      made[chapter] = `${exam.made.multipleChoice}+${exam.made.shortAnswer}`;
      faults.push(...problems(exam.items, passages, PY).map((p) => `chapter ${chapter}: ${p}`));
    }
    expect(Object.values(made)).toEqual(Array(15).fill('10+3'));
    expect(faults).toEqual([]);
  });

  it('meets the request for the whole book and spreads it over the chapters', async () => {
    const exam = await assembleExam(new OfflineGenerator(), { passages: python, multipleChoice: 10, shortAnswer: 3, seed: 'book' });
    expect(exam.made).toEqual({ multipleChoice: 10, shortAnswer: 3 });
    expect(problems(exam.items, python, PY)).toEqual([]);
    const ranges = [...chapters(PY)];
    const chapterOf = (page: number) => ranges.find(([, [a, b]]) => page >= a && page <= b)?.[0];
    const mcChapters = new Set(exam.items.filter((i) => i.type === 'MULTIPLE_CHOICE').map((i) => chapterOf(i.source.pageStart)));
    expect(mcChapters.size).toBeGreaterThanOrEqual(7);
  });

  it('makes every candidate sound, not only the first few', () => {
    expect(pyMc.length).toBeGreaterThan(150);
    expect(pySa.length).toBeGreaterThan(60);
    expect(problems(pyMc, python, PY)).toEqual([]);
    expect(problems(pySa, python, PY)).toEqual([]);
  });

  it('asks for terms the text defines, with the term blanked out', () => {
    const roundOff = pyMc.find((i) => i.prompt.includes('____ occurs when floating-point values are stored erroneously as an approximation.'));
    expect(roundOff?.options[roundOff.correctIndex!]).toBe('round-off error');
    expect(roundOff?.prompt).toBe('Which term completes the sentence? "A(n) ____ occurs when floating-point values are stored erroneously as an approximation."');
    const traceback = pyMc.find((i) => i.prompt.includes('____ is a Python report of the location and type of error.'));
    expect(traceback?.options[traceback.correctIndex!]).toBe('traceback');
    const len = pyMc.find((i) => i.prompt === 'Which of these returns the length (the number of characters) of a string?');
    expect(len?.options[len.correctIndex!]).toBe('len(string)');
    expect(len?.options.every(isCodeLike)).toBe(true);
  });

  it('never turns the book’s exercises, figure captions or image descriptions into items', () => {
    // The exercise text is there to be found …
    expect(python.some((p) => p.text.includes('A mad lib is a word game'))).toBe(true);
    // … but nothing is made from it.
    const everything = [...pyMc, ...pySa];
    expect(everything.filter((i) => /mad lib|Write a program|Checkpoint|Try It/i.test([i.prompt, i.source.quote, ...i.rubric].join(' ')))).toEqual([]);
  });

  it('asks short answers from the learning objectives, answered with sentences of that section', () => {
    const floats = pySa.find((i) => i.prompt === 'Explain numerical inaccuracies related to floating-point representation.');
    expect(floats).toBeDefined();
    expect(floats!.rubric.some((r) => /round-off error|floating-point/.test(r))).toBe(true);
    // Section 2.4 runs from page 34 to 35.
    expect(floats!.rubric.every((r) => python.some((p) => p.pageStart >= 34 && p.pageEnd <= 36 && flat(p.text).includes(flat(r))))).toBe(true);
    const scope = pySa.find((i) => i.prompt === "Identify the scope of a program's variables.");
    expect(scope?.rubric[0]).toBe("A variable's scope is the part of a program where the variable can be accessed.");
  });

  it('is repeatable for a seed and varies with it', async () => {
    expect(await all(python, 'MULTIPLE_CHOICE', 'spec')).toEqual(pyMc);
    const other = await all(python, 'MULTIPLE_CHOICE', 'another seed');
    expect(other).not.toEqual(pyMc);
    // The same questions, reordered and with their options reshuffled.
    expect(new Set(other.map((i) => i.origin))).toEqual(new Set(pyMc.map((i) => i.origin)));
    expect(other.slice(0, 10).map((i) => i.origin)).not.toEqual(pyMc.slice(0, 10).map((i) => i.origin));
  });

  it('reads the whole book well within a second or two', async () => {
    const started = performance.now();
    // A new array: nothing of the analysis above is reused.
    const request: GenerationRequest = { passages: [...python], multipleChoice: 10, shortAnswer: 3, seed: 'timing' };
    const generator = new OfflineGenerator();
    let n = 0;
    for (const type of ['MULTIPLE_CHOICE', 'SHORT_ANSWER'] as const) for await (const _ of generator.candidates(request, type, 10)) n++;
    expect(n).toBeGreaterThan(200);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('OfflineGenerator on the Biology excerpt', () => {
  const answer = (items: CandidateItem[], definition: string) => {
    const item = items.find((i) => i.prompt === `Which term matches this definition: "${definition}"?`);
    return item ? item.options[item.correctIndex!] : undefined;
  };

  it('asks the Key Terms glossary, with the right term as the answer', () => {
    expect(answer(bioMc, 'total number of protons in an atom')).toBe('atomic number');
    expect(answer(bioMc, 'total number of protons and neutrons in an atom')).toBe('mass number');
    expect(answer(bioMc, 'outermost shell of an atom')).toBe('valence shell');
    // A definition that wraps onto a second line is read whole.
    expect(answer(bioMc, 'type of strong bond formed between two atoms of the same or different elements; forms when electrons are shared between atoms')).toBe('covalent bond');
    // A definition that names its own term would give the answer away: not asked.
    expect(answer(bioMc, 'negatively charged subatomic particle that resides outside of the nucleus in the electron orbital; lacks functional mass and has a negative charge of –1 unit')).toBeUndefined();
    expect(answer(bioMc, 'element with filled outer electron shell that is unreactive with other atoms')).toBe('inert gas');
  });

  it('never offers a synonym of the answer as a wrong option', () => {
    const inert = bioMc.find((i) => i.prompt.includes('element with filled outer electron shell'));
    expect(inert?.options).not.toContain('noble gas');
  });

  it('makes sound items only, from both chapters', () => {
    expect(problems(bioMc, biology, BIO)).toEqual([]);
    expect(problems(bioSa, biology, BIO)).toEqual([]);
    expect(bioMc.some((i) => i.source.pageStart < 34)).toBe(true);
    expect(bioMc.some((i) => i.source.pageStart >= 34)).toBe(true);
    expect(bioSa.length).toBeGreaterThanOrEqual(20);
  });

  it('leaves out the question boxes and figure captions', () => {
    expect(biology.some((p) => p.text.includes('How many neutrons do carbon-12 and carbon-13 have'))).toBe(true);
    const text = [...bioMc, ...bioSa].map((i) => [i.prompt, i.source.quote, ...i.rubric].join(' ')).join('\n');
    expect(text).not.toMatch(/How many neutrons do carbon-12|Image description|Figure 2\.\d+ /);
  });

  it('asks "What is …?" from a section summary, answered by sentences of its section about the term', () => {
    const lipids = bioSa.find((i) => i.prompt === 'What are lipids?');
    expect(lipids?.rubric[0]).toBe('Lipids are a class of macromolecules that are nonpolar and hydrophobic in nature.');
    expect(lipids!.rubric.slice(1).every((r) => r.startsWith('Lipids '))).toBe(true);
  });

  it('asks sentences only about the key terms of their chapter, without a kind of the answer among the options', () => {
    // Chapter 3 lists hydrolysis and dehydration synthesis as key terms, not "chemical reaction".
    expect(bioMc.filter((i) => i.source.quote === 'A chemical reaction occurs when inserting a water molecule across the bond.')).toEqual([]);
    expect(bioMc.filter((i) => /^water$/i.test(i.options[i.correctIndex!]!))).toEqual([]);
    const hydrolysis = bioMc.find((i) => i.prompt.includes('reaction that causes breakdown of larger molecules into smaller molecules by utilizing water'));
    expect(hydrolysis?.options[hydrolysis.correctIndex!]).toBe('hydrolysis');
    expect(hydrolysis!.options).not.toContain('chemical reaction');
    // "Lipids include fats, oils, waxes, phospholipids, and steroids.": a kind of lipid would fit a sentence about lipids.
    const lipids = bioMc.filter((i) => /^lipids?$/.test(i.options[i.correctIndex!]!));
    expect(lipids.length).toBeGreaterThan(0);
    for (const i of lipids) expect(i.options.filter((o) => /^(?:fats?|oils?|waxe?s?|phospholipids?|steroids?|triacylglycerols?)$/.test(o))).toEqual([]);
    const carbohydrates = bioMc.filter((i) => /^carbohydrates?$/.test(i.options[i.correctIndex!]!));
    for (const i of carbohydrates) expect(i.options.filter((o) => /saccharides?$/.test(o))).toEqual([]);
  });

  it('quotes no damaged text, no dangling reference and no instruction to the reader in a rubric', () => {
    const points = bioSa.flatMap((i) => i.rubric);
    expect(biology.some((p) => p.text.includes('TThe most common'))).toBe(true);
    expect(points.filter((r) => /^TThe|these|^You |\byou\b|^Therefore|^As you/.test(r))).toEqual([]);
  });
});

describe('OfflineGenerator on what the books make easy to get wrong', () => {
  const answer = (i: CandidateItem) => i.options[i.correctIndex!]!;

  it('leaves the worked examples’ names out of questions, answers and wrong options', () => {
    const options = pyMc.flatMap((i) => i.options);
    expect(options.filter((o) => /^(?:mint|plant|display\(\)|calc_tax\(\)|hello\(\)|bye\(\)|variable data)$/i.test(o))).toEqual([]);
    expect(pyMc.filter((i) => /\bPlant\b|\bJamie\b|"banana"/.test(i.source.quote))).toEqual([]);
    // "The greatest common divisor is the integer value when the base case is reached." names the term again for Euclid's example.
    expect(pyMc.filter((i) => /^(?:greatest common divisor|response|percentage)$/.test(answer(i)))).toEqual([]);
  });

  it('asks no blank inside a list, and offers no second answer', () => {
    expect(pyMc.filter((i) => /such as print\(\), input\(\), and float\(\)|keys\(\), values\(\), and items\(\) are|lower\(\) and upper\(\) methods/.test(i.source.quote))).toEqual([]);
    const sqrt = pyMc.find((i) => i.source.quote.startsWith('To call sqrt(), a program must import math'));
    expect(sqrt && answer(sqrt)).toBe('sqrt()');
    expect(sqrt!.options.filter((o) => o.startsWith('math.'))).toEqual([]);
    const magic = pyMc.find((i) => i.source.quote.startsWith('Magic methods are special methods'));
    expect(magic && answer(magic)).toBe('magic methods');
    expect(magic!.options).not.toContain('dunder methods');
    expect(pyMc.filter((i) => i.options.includes('magic methods') && i.options.includes('dunder methods'))).toEqual([]);
  });

  it('answers each learning objective with sentences that share enough of its words', () => {
    let checked = 0;
    for (const item of [...pySa, ...bioSa]) {
      if (/^What (?:is|are) /.test(item.prompt)) continue;
      const about = aboutWords(item.origin);
      for (const point of item.rubric) {
        const words = topicWords(point);
        const hits = about.filter((w) => words.some((x) => x === w || related(w, x))).length;
        // Or it defines a term the objective names ("Define matter and elements": "Matter is …").
        const defines = about.length <= 2 && about.includes(words[0] ?? '');
        expect([item.prompt, point, hits >= wordsNeeded(about.length) || defines]).toEqual([item.prompt, point, true]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(150);
    // "What is a string?" was once answered with "If no separator string is provided, blank space characters are used …".
    expect(pySa.flatMap((i) => i.rubric).filter((r) => r.startsWith('If no separator string is provided'))).toEqual([]);
  });
});
