// Multiple-choice items on small passages written like the books': one answer, and no wrong option
// that the sentence would fit as well.
import { describe, expect, it } from '@jest/globals';
import type { CandidateItem, SourcePassage } from '../types.ts';
import { OfflineGenerator } from './index.ts';

const passage = (index: number, section: string, lines: string[], page = 10 + index): SourcePassage => ({ bookId: 'b', index, text: lines.join('\n'), pageStart: page, pageEnd: page, section });

async function items(passages: SourcePassage[]): Promise<CandidateItem[]> {
  const out: CandidateItem[] = [];
  for await (const c of new OfflineGenerator().candidates({ passages, multipleChoice: 20, shortAnswer: 0, seed: 'mc' }, 'MULTIPLE_CHOICE', 20)) out.push(c);
  return out;
}
const answer = (i: CandidateItem) => i.options[i.correctIndex!]!;
const wrong = (i: CandidateItem) => i.options.filter((_, k) => k !== i.correctIndex);

describe('multiple choice with a function library', () => {
  const math = passage(1, '2.6 The math module', [
    'Python comes with an extensive standard library of modules.',
    'The standard library also defines built-in functions such as print(), input(), and float().',
    'A commonly used module in the standard library is the math module.',
    'To call sqrt(), a program must import math and use the resulting math variable followed by a dot.',
    'Unlike the ** operator, math.pow() converts x and y to type float.',
    'The print() function displays output to the user.',
    'The input() function reads one line of input from the user.',
    'The round() function can be used to mitigate floating-point errors.',
    'The abs() function is used to get the absolute value of a number.',
    'The math.floor() function returns the largest integer that is not greater than its argument.',
  ]);

  it('asks no item of a list ("such as print(), input(), and float()")', async () => {
    const made = await items([math]);
    expect(made.length).toBeGreaterThan(3);
    expect(made.filter((i) => i.source.quote.includes('such as print()'))).toEqual([]);
  });

  it('offers no function of the module the sentence is about as a wrong option', async () => {
    const sqrt = (await items([math])).find((i) => i.source.quote.startsWith('To call sqrt()'));
    expect(sqrt && answer(sqrt)).toBe('sqrt()');
    expect(wrong(sqrt!).length).toBeGreaterThanOrEqual(2);
    expect(wrong(sqrt!).filter((o) => o.startsWith('math.'))).toEqual([]);
  });
});

describe('multiple choice on terms the book gives two names', () => {
  const methods = passage(1, '11.4 Overloading operators', [
    'Magic methods are special methods that perform actions for users, typically out of view of users.',
    'Magic methods are also called dunder methods, since the methods must start and end with double underscores (__).',
    'A programmer can explicitly define magic methods in a user-defined class to customize their behavior.',
    'Instance methods are used to access and modify instance attributes as well as class attributes.',
    'Instance attributes are variables unique to each instance of a class and accessed by name.',
    'Class attributes are variables shared by all instances of a class and accessed by name.',
    'Operator overloading refers to customizing the function of a built-in operator.',
  ]);

  it('never offers the other name of the answer, and never both names as wrong options', async () => {
    const made = await items([methods]);
    const magic = made.find((i) => i.source.quote.startsWith('Magic methods are special methods'));
    expect(magic && answer(magic)).toBe('magic methods');
    expect(magic!.options).not.toContain('dunder methods');
    for (const i of made) expect([i.prompt, wrong(i).filter((o) => /^(?:magic|dunder) methods?$/.test(o)).length <= 1]).toEqual([i.prompt, true]);
  });
});

describe('multiple choice on a chapter with Key Terms', () => {
  // Chapter 2 teaches "chemical reaction"; chapter 3 teaches hydrolysis and dehydration synthesis,
  // and says in passing "A chemical reaction occurs when inserting a water molecule …".
  const chapter2 = passage(1, '2.1 Atoms, Isotopes, Ions, and Molecules', [
    'A chemical reaction occurs when two or more atoms bond together to form molecules or when bonded atoms break apart.',
    'Key Terms',
    'atom',
    'the smallest unit of matter that retains all of the chemical properties of an element',
    'chemical reaction',
    'process leading to rearranging atoms in molecules',
    'ion',
    'atom or chemical group that does not contain equal numbers of protons and electrons',
    'molecule',
    'two or more atoms chemically bonded together',
  ]);
  const chapter3 = passage(2, '3.1 Synthesis of Biological Macromolecules', [
    'Polymers break down into monomers during hydrolysis.',
    'A chemical reaction occurs when inserting a water molecule across the bond.',
    'Monomers combine with each other using covalent bonds to form larger molecules known as polymers.',
    'Key Terms',
    'biological macromolecule',
    'large molecule necessary for life that is built from smaller organic molecules',
    'dehydration synthesis',
    'reaction that links monomer molecules, releasing a water molecule for each bond formed',
    'hydrolysis',
    'reaction that causes breakdown of larger molecules into smaller molecules by utilizing water',
    'monomer',
    'smallest unit of larger molecules that are polymers',
    'polymer',
    'long chain of monomer units joined by covalent bonds',
  ]);

  it('asks a sentence only about a key term of its chapter', async () => {
    const made = await items([chapter2, chapter3]);
    expect(made.filter((i) => i.source.quote === 'A chemical reaction occurs when inserting a water molecule across the bond.')).toEqual([]);
    expect(made.some((i) => i.source.quote.startsWith('A chemical reaction occurs when two or more atoms') && answer(i) === 'chemical reaction')).toBe(true);
  });

  it('offers no kind of the answer, nor what it is a kind of, as a wrong option', async () => {
    const made = await items([chapter2, chapter3]);
    const hydrolysis = made.find((i) => answer(i) === 'hydrolysis');
    expect(hydrolysis).toBeDefined();
    expect(hydrolysis!.options).not.toContain('chemical reaction');
    const ion = made.find((i) => answer(i) === 'ion');
    expect(ion?.options).not.toContain('atom');
  });
});
