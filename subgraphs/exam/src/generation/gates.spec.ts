import { describe, expect, it } from '@jest/globals';
import { gateItem, itemSentences, NEAR_DUPLICATE_THRESHOLD, normalisePrompt, promptSimilarity } from './gates.ts';
import type { CandidateItem, SourcePassage } from './types.ts';

const passages: SourcePassage[] = [
  {
    bookId: 'py',
    index: 0,
    pageStart: 34,
    pageEnd: 35,
    section: '2.4 Floating-point errors',
    text: "A round-off error occurs when floating-point values are stored erroneously as an\napproximation. An overflow error occurs when a value is too large to be stored. Python's round()\nfunction is used to round a floating-point number to a given number of decimal places.",
  },
  { bookId: 'bio', index: 0, pageStart: 16, pageEnd: 17, section: '2.1 Atoms', text: 'atomic number\ntotal number of protons in an atom\nmass number\ntotal number of protons and neutrons in an atom' },
  {
    bookId: 'py',
    index: 1,
    pageStart: 152,
    pageEnd: 152,
    section: '12.2 Simple recursion',
    text: 'A value for which the recursion applies is called the recursive case. A value of n for which the solution is\nknown is called the base case. The base case stops the recursion.',
  },
  {
    bookId: 'bio',
    index: 1,
    pageStart: 4,
    pageEnd: 4,
    section: '2.1 Atoms, Isotopes, Ions, and Molecules',
    text: 'Matter is any substance that occupies space and has mass. Elements are unique forms of matter with specific\nchemical and physical properties that cannot break down into smaller substances by ordinary chemical reactions.',
  },
];

const mc = (over: Partial<CandidateItem> = {}): CandidateItem => ({
  type: 'MULTIPLE_CHOICE',
  prompt: 'Which term completes the sentence? "A(n) ____ occurs when floating-point values are stored erroneously as an approximation."',
  options: ['overflow error', 'round-off error', 'syntax error', 'name error'],
  correctIndex: 1,
  modelAnswer: null,
  rubric: [],
  points: 1,
  // The quote crosses a line break of the passage: whitespace does not count.
  source: { bookId: 'py', pageStart: 34, pageEnd: 35, quote: 'A round-off error occurs when floating-point values are stored erroneously as an approximation.' },
  origin: 'a round-off error occurs when floating-point values are stored erroneously as an approximation',
  ...over,
});

const sa = (over: Partial<CandidateItem> = {}): CandidateItem => ({
  type: 'SHORT_ANSWER',
  prompt: 'Explain numerical inaccuracies related to floating-point representation.',
  options: [],
  correctIndex: null,
  modelAnswer: 'A round-off error occurs when floating-point values are stored erroneously as an approximation.',
  rubric: ['A round-off error occurs when floating-point values are stored erroneously as an approximation.', 'An overflow error occurs when a value is too large to be stored.'],
  points: 2,
  source: { bookId: 'py', pageStart: 34, pageEnd: 35, quote: 'A round-off error occurs when floating-point values are stored erroneously as an approximation.' },
  origin: 'explain numerical inaccuracies related to floating-point representation',
  ...over,
});

const gate = (item: CandidateItem, kept: CandidateItem[] = []) => gateItem(item, { passages, kept });
const reason = (item: CandidateItem, kept: CandidateItem[] = []) => {
  const r = gate(item, kept);
  return r.ok ? 'ok' : r.reason;
};

describe('gateItem', () => {
  it('keeps a sound multiple-choice and short-answer item', () => {
    expect(gate(mc())).toEqual({ ok: true });
    expect(gate(sa())).toEqual({ ok: true });
  });

  it('rejects a quote the book does not contain, or not on the stated pages or book', () => {
    expect(reason(mc({ source: { ...mc().source, quote: 'A round-off error occurs when values are rounded.' } }))).toBe('quote-not-verbatim');
    expect(reason(mc({ source: { ...mc().source, pageStart: 40, pageEnd: 40 } }))).toBe('quote-not-verbatim');
    expect(reason(mc({ source: { ...mc().source, bookId: 'bio' } }))).toBe('quote-not-verbatim');
    expect(reason(sa({ source: { ...sa().source, quote: '   ' } }))).toBe('quote-not-verbatim');
  });

  it('needs 2–6 options and exactly one correct index within them', () => {
    expect(reason(mc({ options: ['round-off error'], correctIndex: 0 }))).toBe('option-count');
    expect(reason(mc({ options: ['a', 'b', 'c', 'd', 'e', 'f', 'round-off error'], correctIndex: 6 }))).toBe('option-count');
    expect(reason(mc({ correctIndex: null }))).toBe('correct-option-count');
    expect(reason(mc({ correctIndex: 4 }))).toBe('correct-option-count');
    expect(reason(mc({ correctIndex: -1 }))).toBe('correct-option-count');
    expect(reason(mc({ correctIndex: 1.5 }))).toBe('correct-option-count');
  });

  it('rejects options that say the same thing (case, spacing, plural -s and possessives aside)', () => {
    expect(reason(mc({ options: ['overflow error', 'round-off error', 'Round-off  errors', 'name error'] }))).toBe('options-not-distinct');
    expect(reason(mc({ options: ['variable scope', 'round-off error', "variable's scope"] }))).toBe('options-not-distinct');
  });

  it('rejects a mix of code and prose options, where the odd one out gives itself away', () => {
    expect(reason(mc({ options: ['round()', 'round-off error', 'len()', 'print()'] }))).toBe('options-mixed-kind');
  });

  it('needs the correct option backed by the quote: as a phrase, or every content word of a paraphrase', () => {
    expect(reason(mc({ correctIndex: 0 }))).toBe('correct-not-supported'); // "overflow error" is not in the quote
    expect(gate(mc({ options: ['overflow error', 'round-off errors', 'syntax error'], correctIndex: 1 }))).toEqual({ ok: true });
    expect(gate(mc({ options: ['Overflow error', 'Round-off error', 'Syntax error'], correctIndex: 1 }))).toEqual({ ok: true });
    expect(reason(mc({ options: ['overflow error', 'round-off mistake', 'syntax error'], correctIndex: 1 }))).toBe('correct-not-supported');
  });

  it('needs a short answer to have a model answer and rubric points, and no options', () => {
    expect(reason(sa({ modelAnswer: null }))).toBe('answer-missing');
    expect(reason(sa({ modelAnswer: ' ' }))).toBe('answer-missing');
    expect(reason(sa({ rubric: [] }))).toBe('answer-missing');
    expect(reason(sa({ options: ['a', 'b'] }))).toBe('short-answer-has-options');
  });

  it('rejects empty prompts, bad points and exercise text from the book', () => {
    expect(reason(mc({ prompt: '  ' }))).toBe('empty-prompt');
    expect(reason(mc({ points: 0 }))).toBe('bad-points');
    expect(reason(sa({ prompt: 'Write a program that reads two floats and prints their sum.' }))).toBe('exercise-text');
    expect(reason(sa({ prompt: 'Try It: Area of a triangle. Round the area to one decimal place.' }))).toBe('exercise-text');
    expect(reason(sa({ rubric: ['Checkpoint: Examples of round() function'] }))).toBe('exercise-text');
  });

  it('keeps no two items made from the same text, or asking the same question', () => {
    const first = mc();
    expect(reason(sa({ origin: `${first.origin.toUpperCase()}.` }), [first])).toBe('same-origin');
    const round = "Python's round() function is used to round a floating-point number to a given number of decimal places.";
    const other = { origin: 'other', modelAnswer: round, rubric: [round], source: { ...sa().source, quote: round } };
    const reworded = sa({ prompt: 'Describe numerical inaccuracies related to floating-point representation.', ...other });
    expect(reason(reworded, [sa()])).toBe('near-duplicate-prompt');
    expect(gate(sa({ prompt: 'Explain how to round a floating-point number.', ...other }), [sa()])).toEqual({ ok: true });
  });

  it('checks glossary items like any other: the answer must stand in the quoted entry', () => {
    const item = mc({
      prompt: 'Which term matches this definition: "total number of protons in an atom"?',
      options: ['mass number', 'atomic number', 'isotope'],
      correctIndex: 1,
      source: { bookId: 'bio', pageStart: 16, pageEnd: 17, quote: 'atomic number total number of protons in an atom' },
      origin: 'atomic number total number of protons in an atom',
    });
    expect(gate(item)).toEqual({ ok: true });
    expect(reason({ ...item, correctIndex: 0 })).toBe('correct-not-supported');
  });
});

describe('one sentence of the book, one item', () => {
  // The pairs the evaluation found: a fill-in-the-blank item, and a short answer whose rubric (or
  // model answer) opens with the very sentence the blank was cut from.
  const recursiveCase = mc({
    prompt: 'Which term completes the sentence? "A value for which the recursion applies is called the ____."',
    options: ['base case', 'recursive case', 'recursion tree', 'Fibonacci sequence'],
    correctIndex: 1,
    source: { bookId: 'py', pageStart: 152, pageEnd: 152, quote: 'A value for which the recursion applies is called the recursive case.' },
    origin: 'a value for which the recursion applies is called the recursive case',
  });
  const baseAndRecursive = sa({
    prompt: 'Identify a recursive case and a base case in a recursive algorithm.',
    modelAnswer: 'A value for which the recursion applies is called the recursive case. A value of n for which the solution is known is called the base case.',
    rubric: ['A value for which the recursion applies is called the recursive case.', 'A value of n for which the solution is known is called the base case.'],
    source: { bookId: 'py', pageStart: 152, pageEnd: 152, quote: 'A value for which the recursion applies is called the recursive case.' },
    origin: 'identify a recursive case and a base case in a recursive algorithm',
  });
  const matter = mc({
    prompt: 'Which term completes the sentence? "____ is any substance that occupies space and has mass."',
    options: ['element', 'matter', 'proton', 'reactant'],
    correctIndex: 1,
    source: { bookId: 'bio', pageStart: 4, pageEnd: 4, quote: 'Matter is any substance that occupies space and has mass.' },
    origin: 'matter is any substance that occupies space and has mass',
  });
  const matterAndElements = sa({
    prompt: 'Define matter and elements.',
    modelAnswer: 'Matter is any substance that occupies space and has mass. Elements are unique forms of matter with specific chemical and physical properties that cannot break down into smaller substances by ordinary chemical reactions.',
    rubric: [
      'Matter is any substance that occupies space and has mass.',
      'Elements are unique forms of matter with specific chemical and physical properties that cannot break down into smaller substances by ordinary chemical reactions.',
    ],
    source: { bookId: 'bio', pageStart: 4, pageEnd: 4, quote: 'Matter is any substance that occupies space and has mass.' },
    origin: 'define matter and elements',
  });

  it('lists the sentences an item uses: origin, quote, rubric points and model-answer sentences, normalised', () => {
    expect(itemSentences(baseAndRecursive)).toEqual(
      new Set([
        'identify a recursive case and a base case in a recursive algorithm',
        'a value for which the recursion applies is called the recursive case',
        'a value of n for which the solution is known is called the base case',
      ]),
    );
    expect(itemSentences(recursiveCase)).toEqual(new Set(['a value for which the recursion applies is called the recursive case']));
  });

  it('rejects a short answer whose rubric quotes the sentence a kept fill-in-the-blank item was cut from', () => {
    expect(gate(recursiveCase)).toEqual({ ok: true });
    expect(gate(baseAndRecursive)).toEqual({ ok: true });
    expect(reason(baseAndRecursive, [recursiveCase])).toBe('same-sentence');
    expect(reason(matterAndElements, [matter])).toBe('same-sentence');
  });

  it('rejects the fill-in-the-blank item when the short answer was kept first', () => {
    expect(reason(recursiveCase, [baseAndRecursive])).toBe('same-sentence');
    expect(reason(matter, [matterAndElements])).toBe('same-sentence');
  });

  it('finds the sentence in a model answer even when the rubric words it differently, whatever its case and spacing', () => {
    const paraphrased = { ...matterAndElements, rubric: ['States what matter is.', 'States what an element is.'], source: { ...matterAndElements.source, quote: 'Elements are unique forms of matter with specific chemical and physical properties that cannot break down into smaller substances by ordinary chemical reactions.' } };
    expect(reason({ ...paraphrased, modelAnswer: `MATTER  is any substance that occupies space and has mass! ${paraphrased.modelAnswer!.split('. ')[1]}` }, [matter])).toBe('same-sentence');
  });

  it('keeps items on neighbouring sentences of the same passage', () => {
    const baseCase = mc({
      prompt: 'Which term completes the sentence? "A value of n for which the solution is known is called the ____."',
      options: ['base case', 'recursive case', 'recursion tree'],
      correctIndex: 0,
      source: { bookId: 'py', pageStart: 152, pageEnd: 152, quote: 'A value of n for which the solution is known is called the base case.' },
      origin: 'a value of n for which the solution is known is called the base case',
    });
    expect(gate(baseCase, [recursiveCase])).toEqual({ ok: true });
    const elementsOnly = { ...matterAndElements, modelAnswer: matterAndElements.rubric[1]!, rubric: [matterAndElements.rubric[1]!], source: { ...matterAndElements.source, quote: matterAndElements.rubric[1]! } };
    expect(gate(elementsOnly, [matter])).toEqual({ ok: true });
  });
});

describe('near-duplicate prompts', () => {
  const duplicates: Array<[string, string]> = [
    ['Explain numerical inaccuracies related to floating-point representation.', 'Describe numerical inaccuracies related to floating-point representation.'],
    ['What causes a round-off error?', 'What is the cause of round-off errors?'],
    ['When does a round-off error occur?', 'A round-off error occurs when?'],
    ['What is matter?', 'Define matter.'],
    [
      'Which term matches this definition: "the amount of heat one gram of a substance must absorb or lose to change its temperature by one degree Celsius"?',
      'Which term completes the sentence? "We define ____ as the amount of heat one gram of a substance must absorb or lose to change its temperature by one degree Celsius."',
    ],
    ['Which of these returns the last n rows?', 'Which of these returns the last few rows of a DataFrame?'],
  ];
  const distinct: Array<[string, string]> = [
    // Neighbouring terms: most words shared, but not the question.
    ['Which term matches this definition: "total number of protons in an atom"?', 'Which term matches this definition: "total number of protons and neutrons in an atom"?'],
    ['Which term matches this definition: "positive ion that is formed by an atom losing one or more electrons"?', 'Which term matches this definition: "negative ion that is formed by an atom gaining one or more electrons"?'],
    ['Describe how to use indexes to access individual elements in a list.', 'Describe how to use indexes to modify individual elements in a list.'],
    ['Which of these creates an array of zeros?', 'Which of these creates an array of ones?'],
    ["Explain DNA's structure and role.", "Explain RNA's structure and roles."],
    ['What is matter?', 'What is energy?'],
    ['Which of these returns the length (the number of characters) of a string?', 'Which of these returns the type (or class) of a value?'],
  ];

  it.each(duplicates)('counts "%s" and "%s" as the same question', (a, b) => {
    expect(promptSimilarity(a, b)).toBeGreaterThanOrEqual(NEAR_DUPLICATE_THRESHOLD);
    expect(promptSimilarity(b, a)).toBeCloseTo(promptSimilarity(a, b));
  });

  it.each(distinct)('keeps "%s" and "%s" apart', (a, b) => {
    expect(promptSimilarity(a, b)).toBeLessThan(NEAR_DUPLICATE_THRESHOLD);
  });

  it('is 1 for a prompt and itself, 0 for prompts without a shared content word', () => {
    expect(promptSimilarity('What is a list comprehension?', 'What is a list comprehension?')).toBe(1);
    expect(promptSimilarity('What is a tuple?', 'Which module generates pseudo-random numbers?')).toBe(0);
    expect(promptSimilarity('', '')).toBe(0);
  });

  it('normalises case, quotes, spacing and final punctuation', () => {
    expect(normalisePrompt('  What  IS a “string”?\n')).toBe('what is a "string"');
    expect(normalisePrompt('Explain   recursion.')).toBe(normalisePrompt('explain recursion'));
  });
});
