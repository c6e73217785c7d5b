// Short-answer items: a learning objective (or a term a section summary defines) asked as a
// question, with the section's own sentences as the model answer and the rubric.
import { contentWords, escapeRe, isCodeLike, normaliseOrigin, normalisePrompt } from '../text.ts';
import type { CandidateItem } from '../types.ts';
import type { Analysis } from './analysis.ts';
import { holder } from './book.ts';
import { aboutWords, type Objective, objectivePrompt, related, topicWords } from './objectives.ts';
import { type Sentence, usable } from './sentences.ts';
import type { Ranked } from './spread.ts';
import { AUXILIARIES, defineFromSentence, display } from './terms.ts';

/**
 * Points: one per rubric point (2–4), so a fuller answer is worth more and a grader can award
 * each point found.
 */
function shortAnswer(prompt: string, rubric: Sentence[], origin: string): CandidateItem | null {
  const lead = rubric[0]!;
  const passage = holder(lead.book, lead.start, lead.end);
  if (!passage) return null;
  return {
    type: 'SHORT_ANSWER',
    prompt,
    options: [],
    correctIndex: null,
    modelAnswer: rubric.map((s) => s.text).join(' '),
    rubric: rubric.map((s) => s.text),
    points: rubric.length,
    source: { bookId: lead.book.bookId, pageStart: passage.pageStart, pageEnd: passage.pageEnd, quote: lead.text },
    origin: normaliseOrigin(origin),
  };
}

// Per sentence, computed once: many objectives of a section score the same sentences.
const facts = new WeakMap<Sentence, { answerable: boolean; words: Set<string>; defines: string[] | null }>();
function factsOf(s: Sentence) {
  let f = facts.get(s);
  if (!f) {
    const d = defineFromSentence(s);
    f = { answerable: usable(s, 60) && holder(s.book, s.start, s.end) !== null, words: new Set(topicWords(s.text)), defines: d ? topicWords(d.raw) : null };
    facts.set(s, f);
  }
  return f;
}
const answerable = (s: Sentence) => factsOf(s).answerable;

/**
 * Up to `n` of the ranked sentences, none saying again what a chosen one (or `given`) says: most
 * (80 %) of the content words of the shorter one in the other ("Fatty acids may be saturated or
 * unsaturated." / "Fatty acids may be unsaturated or saturated, depending on …").
 */
function distinctPoints(ranked: Sentence[], given: Sentence[], n: number): Sentence[] {
  const out: Sentence[] = [];
  const repeats = (a: Sentence, b: Sentence) => {
    const x = factsOf(a).words;
    const y = factsOf(b).words;
    let both = 0;
    for (const w of x) if (y.has(w)) both++;
    return both >= 0.8 * Math.min(x.size, y.size);
  };
  for (const s of ranked) {
    if (out.length >= n) break;
    if (![...given, ...out].some((o) => repeats(o, s))) out.push(s);
  }
  return out;
}

// A sentence as the gates compare it with other items' sentences, worked out once.
const normalisedText = new WeakMap<Sentence, string>();
function normalised(s: Sentence): string {
  let n = normalisedText.get(s);
  if (n === undefined) {
    n = normaliseOrigin(s.text);
    normalisedText.set(s, n);
  }
  return n;
}

/**
 * How many of an objective's words a sentence must contain to be a rubric point for it: both of
 * an objective of one or two words ("Explain carbohydrate classifications"), else at least two and
 * at least 30 % of them. A sentence that shares one or two words with a long objective is about
 * something else ("Explain the ways in which naturally occurring elements combine to create
 * molecules, cells, tissues, …" is not answered by "Some elements … have naturally occurring
 * isotopes.").
 */
export function wordsNeeded(about: number): number {
  return about >= 3 ? Math.max(2, Math.ceil(0.3 * about)) : about;
}

/**
 * Beside the count, each point must hold at least 40 % of the weight of the objective's words that
 * the best point holds, each word weighted by how rare it is in the section (1 + ln((n + 1) /
 * (sentences holding it + 1))). In a section on comparing strings, "string", "value" and
 * "character" are everywhere: "When comparing two string values, the matching characters …" holds
 * three words of "Use lower() and upper() string methods to convert string values to lowercase and
 * uppercase characters" but a third of the weight of "The lower() method returns the converted
 * alphabetical characters to lowercase, …", and is no point for it.
 */
const SHARE_OF_BEST = 0.4;

/**
 * A question whose rubric is picked when it is offered: the best points among `ranked` that no
 * item of the exam has used yet, after the `lead` point when there is one. Made only when at
 * least two points remain, so it never leans on a sentence another item already asks about.
 */
function planned(prompt: string, origin: string, lead: Sentence | null, ranked: Sentence[], at: Sentence | Objective, score: number): Ranked | null {
  const make = (used: Set<string>) => {
    const free = (x: Sentence) => !used.has(normalised(x));
    if (lead && !free(lead)) return null;
    const given = lead ? [lead] : [];
    const points = distinctPoints(ranked.filter(free), given, 3 - given.length).sort((x, y) => x.position - y.position);
    return points.length + given.length >= 2 ? shortAnswer(prompt, [...given, ...points], origin) : null;
  };
  if (!make(new Set())) return null;
  return { key: normaliseOrigin(origin), make, unit: at.unit, book: at.book.order, position: at.position, score, tier: 0 };
}

export function shortAnswers(a: Analysis): Ranked[] {
  const out: Ranked[] = [];
  for (const o of a.objectives) {
    const about = aboutWords(o.text);
    if (!about.length) continue;
    const need = wordsNeeded(about.length);
    const section = (a.byUnit.get(o.unit) ?? []).filter(answerable);
    const holds = (words: Set<string>, w: string) => words.has(w) || [...words].some((x) => related(w, x));
    const weight = new Map(about.map((w) => [w, 1 + Math.log((section.length + 1) / (section.filter((s) => holds(factsOf(s).words, w)).length + 1))]));
    const total = about.reduce((sum, w) => sum + weight.get(w)!, 0);
    const seen = new Set<string>();
    const scored = section
      .map((s) => {
        const { words, defines } = factsOf(s);
        const held = about.filter((w) => holds(words, w));
        // A sentence that defines what the objective names explains it best.
        const key = defines?.length && defines.every((w) => about.includes(w) || about.some((x) => related(w, x))) ? 1 : defines ? 0.25 : 0;
        const share = held.reduce((sum, w) => sum + weight.get(w)!, 0) / total;
        return { s, hits: held.length, share, key, score: share + key - (s.summary ? 0.25 : 0) };
      })
      // A definition of a term a short objective names is a point whatever else it lists ("Define
      // matter and elements": "Matter is any substance that occupies space and has mass.").
      .filter((x) => x.hits >= need || (x.key === 1 && about.length <= 2));
    const best = Math.max(0, ...scored.map((x) => x.share));
    const candidates = scored
      .filter((x) => x.share >= SHARE_OF_BEST * best || x.key === 1)
      .sort((x, y) => y.score - x.score || x.s.position - y.s.position)
      .filter((x) => !seen.has(x.s.text) && seen.add(x.s.text))
      .map((x) => x.s);
    const plan = planned(objectivePrompt(o.text), o.text, null, candidates, o, 2);
    if (plan) out.push(plan);
  }
  // "What is matter?" from a summary's "Matter is anything that occupies space and has mass.",
  // with more points from sentences of its section about the same term (it is their subject).
  const asked = new Set(out.map((r) => normalisePrompt(r.make(new Set())!.prompt)));
  for (const s of a.summaries) {
    if (!answerable(s)) continue;
    const d = defineFromSentence(s);
    if (!d || d.score < 3 || isCodeLike(d.raw) || (!s.text.startsWith(d.raw.split(' ')[0]!) && !/^(?:A|An|The) /.test(s.text))) continue;
    const head = new RegExp(`^(?:(A|An|The) )?${escapeRe(d.raw)} (is|are) `).exec(s.text);
    if (!head) continue;
    const verb = head[2]!;
    const term = `${head[1] ? `${head[1].toLowerCase()} ` : ''}${display(d.raw, s.book)}`;
    const prompt = `What ${verb} ${term}?`;
    if (asked.has(normalisePrompt(prompt))) continue;
    const subject = new RegExp(`^(?:In Python, )?(?:(?:A|An|The) )?${escapeRe(d.raw)}(?:e?s)?(?: in Python)?,? (?:${[...AUXILIARIES].join('|')}|can|cannot|may|must|should|[a-z]+s|[a-z]+ed)\\b(?!,)`, 'i');
    const defWords = new Set(contentWords(s.text));
    const others = (a.byUnit.get(s.unit) ?? [])
      .filter((x) => x !== s && x.text !== s.text && answerable(x) && subject.test(x.text))
      .map((x) => ({ x, score: contentWords(x.text).filter((w) => defWords.has(w)).length }))
      .sort((p, q) => q.score - p.score || p.x.position - q.x.position)
      .map((p) => p.x);
    const plan = planned(prompt, s.text, s, others, s, 1.5);
    if (!plan) continue;
    asked.add(normalisePrompt(prompt));
    out.push(plan);
  }
  return out;
}
