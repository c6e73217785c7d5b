// Automatic grading. Multiple choice is exact. Short answers are graded offline by how much of each
// rubric point's wording the answer contains: a cheap, explainable first mark that a teacher then
// reviews (it cannot see negation or a wrong claim made with the right words).

/** Full points for the correct option, 0 for a wrong one or none (and when no option is correct). */
export function gradeChoice(correctOptionId: string | null | undefined, optionId: string | null | undefined, points: number): number {
  return correctOptionId != null && optionId != null && optionId === correctOptionId ? points : 0;
}

/**
 * A rubric point counts as covered when at least this share of its distinct content words occurs in
 * the answer. Half, because a correct answer in the student's own words keeps the key terms but not
 * the rubric's connecting words, while an answer that misses the point rarely has half its terms.
 */
export const RUBRIC_COVERAGE_THRESHOLD = 0.5;

/** Awarded points are rounded to this step, like a teacher's marks, so nobody gets 0.6667. */
export const POINTS_STEP = 0.5;

/** How much of a missed rubric point the feedback quotes. */
const QUOTE_MAX = 60;

// Function words only. Negations ("not", "no", "never") are deliberately kept as content words:
// "is not reversible" and "is reversible" are different rubric points.
const STOPWORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each either etc few for from further had has have having he her here hers herself ' +
    'him himself his how i if in into is it its itself just may me might more most must my myself neither nor of off on once only ' +
    'or other our ours ourselves out over own same shall she should so some such than that the their theirs them themselves then ' +
    'there these they this those through thus to too under until up upon us very was we were what when where whether which while ' +
    'who whom whose why will with within without would you your yours yourself yourselves'
  ).split(' '),
);

const VOWEL = /[aeiouy]/;

/**
 * Light suffix stripping, applied alike to rubric and answer so that inflections meet:
 * heat/heats/heated/heating → "heat"; evaporate/evaporates/evaporated → "evaporat";
 * study/studies/studied → "study"; run/runs/running → "run". Not a full stemmer: it only has to be
 * consistent, and a rare collision only makes the first mark a little generous.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && (w.endsWith('ies') || w.endsWith('ied'))) return `${w.slice(0, -3)}y`;
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.length > 4 && /(?:x|z|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  // Not `else`: "hundreds" must end where "hundred" does.
  if (w.endsWith('ing') && w.length - 3 >= 3 && VOWEL.test(w.slice(0, -3))) w = undouble(w.slice(0, -3));
  // "eed" stays: "speed" is not "spe" + "ed".
  else if (w.endsWith('ed') && !w.endsWith('eed') && w.length - 2 >= 3 && VOWEL.test(w.slice(0, -2))) w = undouble(w.slice(0, -2));
  // A final silent e goes, so "store" and "stored"/"storing" (already without it) agree.
  if (w.length > 3 && w.endsWith('e') && !w.endsWith('ee')) w = w.slice(0, -1);
  return w;
}

/** "runn" → "run", "stopp" → "stop"; but "add", "fill", "pass", "buzz" keep their double letter. */
function undouble(w: string): string {
  return w.length > 3 && /([b-df-hj-km-np-rtvwy])\1$/.test(w) ? w.slice(0, -1) : w;
}

/** Lower-cased word tokens (letters and digits, any script). */
function tokens(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The distinct stemmed content words of a text. Numbers count (a "100 °C" rubric point needs the
 * 100). When a text has only function words, those are used instead, so such a point is not free.
 */
export function contentStems(text: string): Set<string> {
  const all = tokens(text);
  const content = all.filter((t) => !STOPWORDS.has(t) && (t.length > 1 || /\p{N}/u.test(t)));
  return new Set((content.length ? content : all).map(stem));
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= QUOTE_MAX) return flat;
  const cut = flat.slice(0, QUOTE_MAX);
  const space = cut.lastIndexOf(' ');
  return `${(space > QUOTE_MAX / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, '')}…`;
}

/**
 * Grades a short answer by rubric coverage.
 * - coverage[i]: the share (0..1) of rubric point i's distinct content stems found in the answer;
 * - a point is covered when coverage ≥ RUBRIC_COVERAGE_THRESHOLD;
 * - points = points × covered / rubric.length, rounded to the nearest POINTS_STEP, within [0, points].
 * A blank answer gets 0; an empty rubric gives 0 (nothing to grade against; the teacher grades).
 */
export function gradeByRubric(answer: string, rubric: string[], points: number): { points: number; coverage: number[]; feedback: string } {
  if (!answer.trim()) return { points: 0, coverage: rubric.map(() => 0), feedback: 'No answer given.' };
  if (rubric.length === 0) return { points: 0, coverage: [], feedback: 'There is no rubric for this item: a teacher grades it.' };
  const said = contentStems(answer);
  const coverage = rubric.map((point) => {
    const wanted = [...contentStems(point)];
    // A point with no words at all cannot be missed.
    return wanted.length === 0 ? 1 : wanted.filter((w) => said.has(w)).length / wanted.length;
  });
  const missed = rubric.filter((_, i) => coverage[i]! < RUBRIC_COVERAGE_THRESHOLD);
  const covered = rubric.length - missed.length;
  const raw = (points * covered) / rubric.length;
  const awarded = Math.min(points, Math.max(0, Math.round(raw / POINTS_STEP) * POINTS_STEP));
  const feedback = missed.length
    ? `Covers ${covered} of ${rubric.length} rubric points. Missing: ${missed.map((m) => `“${shorten(m)}”`).join('; ')}.`
    : `Covers all ${rubric.length} rubric points.`;
  return { points: awarded, coverage, feedback };
}
