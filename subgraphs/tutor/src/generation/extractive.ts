// The tutor without a language model: the answer is built from sentences of the retrieved
// passages, quoted verbatim, arranged for the mode. It never writes facts of its own; it only
// selects, orders and frames what the course books say.
import type { StoredAnswer, TutorMode } from '../entities/chat.entity.ts';
import type { GroundingPassage } from './grounding.ts';
import { contentWords, sentences } from './text.ts';

interface Scored {
  text: string;
  passage: number;
  position: number;
  score: number;
}

// Code: an assignment, a call, a statement keyword with its colon, or an interpreter prompt; not a
// sentence that merely mentions `range()`.
const looksLikeCode = (s: string) =>
  (/^>>>|[a-z_]\w*\s*[-+*/%]?=\s*\S|^\s*(?:print|def|for|while|if|elif|else|import|return|class)\b.*[:)]\s*$|^\s*\w+\(.*\)\s*$/.test(s)) && !/[a-z]{3,} [a-z]{3,} [a-z]{3,} [a-z]{3,}/.test(s);
// A whole sentence: starts like one (a chunk can begin mid-sentence), ends like one, not code.
const isProse = (s: string) => s.split(' ').length >= 6 && /^["'(]?[A-Z0-9]/.test(s) && /[.!?]["')]?$/.test(s) && !looksLikeCode(s);
const squash = (s: string) => s.toLowerCase().replace(/\s+/g, ' ');

function topic(question: string, passages: GroundingPassage[]): string {
  const section = passages[0]?.section?.replace(/^(?:Chapter\s+\d+|\d+(?:\.\d+)*)\s+/i, '').trim();
  if (section) return section.toLowerCase();
  return [...new Set(contentWords(question))].slice(0, 3).join(' ') || 'this topic';
}

/** Replaces the most specific question word in a sentence with a blank (for quiz questions). */
function blank(sentence: string, terms: string[]): string | null {
  const words = sentence.split(/(\s+)/);
  const idx = words.findIndex((w) => terms.some((t) => w.toLowerCase().replace(/[^a-z0-9_]/g, '').startsWith(t)));
  if (idx < 0) return null;
  const answer = words[idx]!.replace(/[^A-Za-z0-9_]/g, '');
  words[idx] = words[idx]!.replace(answer, '_____');
  return words.join('');
}

/** The first run of 2–8 consecutive code lines in a passage, as written. */
function codeBlock(text: string): string | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let j = i;
    while (j < lines.length && j - i < 8 && looksLikeCode(lines[j]!.trim())) j++;
    if (j - i >= 2) return lines.slice(i, j).join('\n');
  }
  return null;
}

export function composeExtractive(question: string, mode: TutorMode, passages: GroundingPassage[]): StoredAnswer {
  const terms = [...new Set(contentWords(question))].sort((a, b) => b.length - a.length);
  const scored: Scored[] = passages.flatMap((p, pi) =>
    sentences(p.text).map((text, position) => {
      const words = new Set(contentWords(text));
      const hits = terms.filter((t) => words.has(t)).length;
      // Earlier passages ranked higher in search; prose beats headings and code for explaining.
      // Exercise prompts ("Write a program that…") are not explanations.
      const exercise = /^(?:Write|Ex:|Given|Modify|Create|Try|Complete|Fill)\b/.test(text) ? 3 : 0;
      return { text, passage: pi, position, score: hits * 2 - pi * 0.3 + (isProse(text) ? 1 : -1) - exercise };
    }),
  );
  // Overlapping passages repeat sentences: keep each once.
  const seen = new Set<string>();
  const ranked = [...scored]
    .filter((s) => isProse(s.text))
    .sort((a, b) => b.score - a.score)
    .filter((s) => !seen.has(squash(s.text)) && seen.add(squash(s.text)));
  const best = ranked[0] ?? scored[0]!;
  const explanation = ranked
    .slice(0, 4)
    .filter((s) => s !== best)
    .slice(0, 3)
    .sort((a, b) => a.passage - b.passage || a.position - b.position);
  const used = [best, ...explanation];
  const about = topic(question, passages);

  // Sources: the passages the answer's sentences come from, one quote each, then the best sentence
  // of the next highest-ranked passages that match the question too (up to three sources).
  const citations: StoredAnswer['citations'] = [];
  const cite = (s: Scored) => {
    const p = passages[s.passage]!;
    if (citations.length < 3 && !citations.some((c) => c.pageStart === p.pageStart && c.pageEnd === p.pageEnd && c.bookId === p.bookId)) {
      citations.push({ bookId: p.bookId, pageStart: p.pageStart, pageEnd: p.pageEnd, quote: s.text });
    }
  };
  used.forEach(cite);
  passages.forEach((_, pi) => {
    const top = ranked.find((s) => s.passage === pi);
    if (top && top.score > 1) cite(top);
  });
  const where = (s: Scored) => {
    const p = passages[s.passage]!;
    return p.pageStart === p.pageEnd ? `p. ${p.pageStart}` : `pp. ${p.pageStart}–${p.pageEnd}`;
  };
  const quiz = ranked
    .slice(0, 8)
    .map((s) => ({ s, q: blank(s.text, terms) }))
    .filter((x): x is { s: Scored; q: string } => x.q !== null)
    .slice(0, 3);
  const code = codeBlock(passages[best.passage]!.text) ?? passages.map((p) => codeBlock(p.text)).find(Boolean);
  const example = code ?? ranked.find((s) => /\b(for example|for instance|e\.g\.)/i.test(s.text))?.text ?? null;

  const base = { generator: 'EXTRACTIVE' as const, cached: false, grounded: true, citations };
  if (mode === 'SOCRATIC') {
    return {
      ...base,
      summary: `Let's work it out together. What do you already know about ${about}?`,
      explanation: `Hint: read ${where(best)} again, starting from: “${best.text.split(' ').slice(0, 8).join(' ')} …”`,
      steps: [
        ...terms.slice(0, 2).map((t) => `What does the book say "${t}" means, and where does it appear in the example?`),
        `How does that help you answer: "${question.trim()}"?`,
      ],
      example: null,
      checkQuestions: ['Can you now answer your question in one sentence of your own?'],
    };
  }
  if (mode === 'QUIZ_ME') {
    const questions = quiz.length ? quiz.map((x) => `Fill in the blank: ${x.q} (check your answer on ${where(x.s)})`) : [`In your own words, what does the book say about ${about}? (see ${where(best)})`];
    return {
      ...base,
      summary: `Let's check what you know about ${about}.`,
      explanation: `Answer each question, then compare with the quoted sources below.`,
      steps: questions,
      example: null,
      checkQuestions: questions,
    };
  }
  const usedText = new Set(used.map((s) => squash(s.text)));
  const steps = scored
    .filter((s) => s.passage === best.passage && s.position > best.position && isProse(s.text) && !usedText.has(squash(s.text)))
    .slice(0, 3)
    .map((s) => s.text);
  return {
    ...base,
    summary: best.text,
    explanation: explanation.map((s) => s.text).join(' ') || best.text,
    steps,
    example,
    checkQuestions: quiz.length ? quiz.slice(0, 2).map((x) => `Fill in the blank: ${x.q}`) : [`How would you explain ${about} to a classmate?`],
  };
}
