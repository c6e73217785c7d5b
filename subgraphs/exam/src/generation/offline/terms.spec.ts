import { describe, expect, it } from '@jest/globals';
import type { SourcePassage } from '../types.ts';
import { readBook } from './book.ts';
import { sentencesOf } from './sentences.ts';
import { blankOut, defineFromSentence, genusOf, kindsIn, parseGlossary, synonymsIn } from './terms.ts';

describe('parseGlossary', () => {
  it('runs a definition onto the next line only when it wrapped and the terms stay in order', () => {
    const lines = [
      'chemical bond',
      'interaction between two or more of the same or different atoms that results in forming molecules',
      'chemical reaction',
      'process leading to rearranging atoms in molecules',
      'covalent bond',
      'type of strong bond formed between two atoms of the same or different elements; forms when electrons',
      'are shared between atoms',
      'electron orbital',
      'how electrons are spatially distributed surrounding the nucleus; the area where we are most likely to find',
      'an electron',
      'equilibrium',
      'steady state of relative reactant and product concentration in reversible chemical reactions in a closed',
      'system',
      'hydrogen bond',
      'weak bond between slightly positively charged hydrogen atoms and slightly negatively charged atoms in',
      'other molecules',
      'inert gas',
      '(also, noble gas) element with filled outer electron shell that is unreactive with other atoms',
    ];
    expect(parseGlossary(lines).map((e) => [e.term, e.definition])).toEqual([
      ['chemical bond', lines[1]],
      ['chemical reaction', lines[3]],
      ['covalent bond', `${lines[5]} ${lines[6]}`],
      ['electron orbital', `${lines[8]} ${lines[9]}`],
      ['equilibrium', `${lines[11]} ${lines[12]}`],
      ['hydrogen bond', `${lines[14]} ${lines[15]}`],
      ['inert gas', lines[17]],
    ]);
  });
});

describe('blankOut', () => {
  it('does not blank an item of a list: any other item of it would fill the blank too', () => {
    expect(blankOut('The standard library also defines built-in functions such as print(), input(), and float().', 'print()')).toBeNull();
    expect(blankOut('The standard library also defines built-in functions such as print(), input(), and float().', 'input()')).toBeNull();
    expect(blankOut('The return type of keys(), values(), and items() are dict_keys, dict_values, and dict_items.', 'keys()')).toBeNull();
    expect(blankOut('Lists are mutable and can be easily modified by using append(), remove(), and pop() operations.', 'pop()')).toBeNull();
    expect(blankOut('Python has many useful methods for modifying strings, two of which are lower() and upper() methods.', 'lower()')).toBeNull();
    expect(blankOut('Scientists classify carbohydrates as monosaccharides, disaccharides, and polysaccharides.', 'disaccharides')).toBeNull();
    expect(blankOut('Proteins, carbohydrates, nucleic acids, and lipids are the four major classes of macromolecules.', 'Proteins')).toBeNull();
  });

  it('blanks a term beside a list, an appositive or a relative clause', () => {
    expect(blankOut('Items can be removed from a dictionary using the del keyword or the pop() method.', 'pop()')).toBe('Items can be removed from a dictionary using the del keyword or the ____ method.');
    expect(blankOut('Lipids include fats, oils, waxes, phospholipids, and steroids.', 'Lipids')).toBe('____ include fats, oils, waxes, phospholipids, and steroids.');
    expect(blankOut('Python has reserved words, known as keywords, which have special functions and cannot be used as names.', 'keywords')).toBe(
      'Python has reserved words, known as ____, which have special functions and cannot be used as names.',
    );
    expect(blankOut('Magic methods are also called dunder methods, since the methods must start and end with double underscores.', 'dunder methods')).not.toBeNull();
    expect(blankOut('A round-off error occurs when floating-point values are stored erroneously as an approximation.', 'round-off error')).toBe(
      'A(n) ____ occurs when floating-point values are stored erroneously as an approximation.',
    );
  });
});

describe('what the book says terms are', () => {
  it('reads the other names the book gives a term', () => {
    expect(synonymsIn('Magic methods are also called dunder methods, since the methods must start and end with double underscores (__).')).toEqual([['magic method', 'dunder method']]);
    expect(synonymsIn('Fats are a stored form of energy and are also known as triacylglycerols or triglycerides.')).toEqual([['fat', 'triacylglycerol', 'triglyceride']]);
    expect(synonymsIn('A conditional expression (also known as a "ternary operator") is a simplified, single-line version of an if-else statement.')).toEqual([['conditional expression', 'ternary operator']]);
    expect(synonymsIn('Scientists call them dehydration (or condensation) reactions.')).toEqual([['dehydration', 'condensation']]);
    expect(synonymsIn('A delimiter is also referred to as a separator.')).toEqual([['delimiter', 'separator']]);
    expect(synonymsIn('Python has reserved words, known as keywords, which have special functions.')).toEqual([]);
  });

  it('reads the class a definition puts its term in', () => {
    expect(genusOf('reaction that causes breakdown of larger molecules into smaller molecules by utilizing water')).toEqual(['reaction']);
    expect(genusOf('type of covalent bond that forms between atoms when electrons are shared equally between them')).toEqual(['covalent bond']);
    expect(genusOf('positive ion that is formed by an atom losing one or more electrons')).toEqual(['positive ion']);
    expect(genusOf('catalyst in a biochemical reaction that is usually a complex or conjugated protein')).toEqual(['catalyst', 'protein']);
    expect(genusOf('describes uncharged nonpolar molecules that do not interact well with polar molecules such as water')).toEqual([]);
  });

  it('reads the kinds a sentence lists of a class', () => {
    expect(kindsIn('Lipids include fats, oils, waxes, phospholipids, and steroids.')).toEqual([['lipid', ['fat', 'oil', 'wax', 'phospholipid', 'steroid']]]);
    expect(kindsIn('Scientists classify carbohydrates as monosaccharides, disaccharides, and polysaccharides depending on the number of monomers in the molecule.')).toEqual([
      ['carbohydrate', ['monosaccharide', 'disaccharide', 'polysaccharide']],
    ]);
    expect(kindsIn('Starch, glycogen, cellulose, and chitin are primary examples of polysaccharides.')).toEqual([['polysaccharide', ['starch', 'glycogen', 'cellulose', 'chitin']]]);
    expect(kindsIn('The two main types of nucleic acids are deoxyribonucleic acid (DNA) and ribonucleic acid (RNA).')).toEqual([['nucleic acid', ['deoxyribonucleic acid', 'ribonucleic acid']]]);
  });

  it('takes no definition from a definite one-word subject, which points into the text around it', () => {
    const passage: SourcePassage = {
      bookId: 'b',
      index: 2,
      pageStart: 58,
      pageEnd: 58,
      section: '4.1 Boolean values',
      text: ['The response is a Boolean value, meaning the value is either true or false.', 'The Fibonacci sequence is a sequence in which each number is the sum of the previous two numbers.', 'A response is a value that a program reads back from its user.'].join('\n'),
    };
    const [definite, named, general] = sentencesOf(readBook('b', 0, [passage]), 0);
    expect(defineFromSentence(definite!)).toBeNull();
    expect(defineFromSentence(named!)?.raw).toBe('Fibonacci sequence');
    expect(defineFromSentence(general!)?.raw).toBe('response');
  });
});
