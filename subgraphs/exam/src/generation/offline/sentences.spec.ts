// The filters a sentence passes before it is quoted, on small passages written like the books'.
import { describe, expect, it } from '@jest/globals';
import type { SourcePassage } from '../types.ts';
import { readBook } from './book.ts';
import { addressesReader, damaged, exampleBound, pointsOutside, type Sentence, sentencesOf, usable } from './sentences.ts';

/** One section of a book, one sentence or code line per line (as the PDF's text layer gives them). */
function section(lines: string[]): Sentence[] {
  const passage: SourcePassage = { bookId: 'b', index: 3, text: lines.join('\n'), pageStart: 10, pageEnd: 11, section: '13.3 Methods' };
  return sentencesOf(readBook('b', 0, [passage]), 0);
}
const find = (sentences: Sentence[], start: string) => {
  const s = sentences.find((x) => x.text.startsWith(start));
  if (!s) throw new Error(`no sentence "${start}" in ${JSON.stringify(sentences.map((x) => x.text))}`);
  return s;
};

describe('sentences bound to a worked example', () => {
  const sentences = section([
    'Sometimes a programmer wants to change the functions a subclass inherits.',
    'Mint is a subclass that has the same functionality as Plant, except for one function.',
    'A subclass can override a superclass method by defining a method with the same name as the superclass method.',
    'The name display() maps to multiple methods.',
    'The variable data is a list of strings.',
    'Jamie must be removed from the list.',
    'The square bracket notation and get() method are used to access values associated with the keys "banana" and "apple", respectively.',
    'The get() method is called with the key as an argument to access the value associated with that key.',
    'Cellulose is an example of an unbranched polysaccharide.',
    "In the function's recursive case, the argument passed to factorial() is n - 1, which is smaller than n.",
    'class Plant:',
    '  def display(self):',
    '    print("Plant")',
    'class Mint(Plant):',
    '1 data = file.readlines()',
    '2 students = ["Jamie", "Vicky"]',
    '3 prices = {"banana": 2, "apple": 3}',
  ]);

  it('names the example’s classes, functions, variables and values', () => {
    for (const start of ['Mint is a subclass', 'The name display()', 'The variable data', 'Jamie must', 'The square bracket notation', "In the function's recursive case"]) {
      expect([start, exampleBound(find(sentences, start))]).toEqual([start, true]);
      expect([start, usable(find(sentences, start))]).toEqual([start, false]);
    }
  });

  it('leaves statements of the subject alone, library methods and "an example of" included', () => {
    for (const start of ['A subclass can override', 'The get() method is called', 'Cellulose is an example']) {
      expect([start, exampleBound(find(sentences, start))]).toEqual([start, false]);
      expect([start, usable(find(sentences, start))]).toEqual([start, true]);
    }
  });
});

describe('sentences the PDF damaged', () => {
  const sentences = section([
    'Atoms contain protons, electrons, and neutrons, among other subatomic particles.',
    'TThe most common isotope of hydrogen (H) is the only exception and is made of one proton and one electron.',
    'The maximum floating-point value that can be represented is 1.8 × 10308 in this representation.',
    'Line plot A series of data points connected by line segments Visualize trends and changes.',
    'A conditional expression is a simplified, single-line version of an ifelse statement in Python.',
    'An if-else statement has two branches and only one of them is taken.',
  ]);

  it('finds doubled capitals, flattened exponents, run-together table cells and glued words', () => {
    for (const start of ['TThe most common', 'The maximum floating-point', 'Line plot', 'A conditional expression']) expect([start, damaged(find(sentences, start))]).toEqual([start, true]);
    expect(damaged(find(sentences, 'Atoms contain'))).toBe(false);
    expect(damaged(find(sentences, 'An if-else statement'))).toBe(false);
  });
});

describe('sentences that lean on something else', () => {
  const sentences = section([
    'A monomer joins with another monomer with water molecule release, leading to a covalent bond forming.',
    'Scientists call these dehydration or condensation reactions.',
    'The percentage refers to how many results belong to that language.',
    'The get() method is called with the key as an argument to access the value associated with that key.',
    'Therefore, water is an excellent solvent for many polar molecules.',
    'The response is a Boolean value, meaning the value is either true or false.',
    'Import statements, as discussed in the Modules chapter, allow code from other files to be imported.',
    'The reason they do not is that the electrons that surround all atoms are negatively charged.',
    'Magic methods are special methods that perform actions for users, typically out of view of users.',
  ]);

  it('rejects a demonstrative pointing outside, a connective opening, a definite one-word subject, a back reference', () => {
    for (const start of ['Scientists call these', 'The percentage refers', 'Therefore, water', 'The response is', 'Import statements, as discussed', 'The reason they']) {
      expect([start, pointsOutside(find(sentences, start))]).toEqual([start, true]);
    }
  });

  it('keeps a sentence whose demonstrative points inside it', () => {
    expect(pointsOutside(find(sentences, 'The get() method is called'))).toBe(false);
    expect(pointsOutside(find(sentences, 'Magic methods are'))).toBe(false);
    expect(pointsOutside(find(sentences, 'A monomer joins'))).toBe(false);
  });
});

describe('sentences addressed to the reader', () => {
  const sentences = section([
    'You should also be able to create hierarchical inheritance relationships between classes.',
    'Remember input() reads in values as strings, so they must be converted.',
    'To understand how the protein gets its final shape, we need to understand the four levels of protein structure.',
    'We define specific heat as the amount of heat one gram of a substance must absorb to change its temperature.',
  ]);

  it('rejects instructions and the book speaking to the student, not the book’s own "we define"', () => {
    for (const start of ['You should also', 'Remember input()', 'To understand how']) expect([start, addressesReader(find(sentences, start))]).toEqual([start, true]);
    expect(addressesReader(find(sentences, 'We define specific heat'))).toBe(false);
  });
});
