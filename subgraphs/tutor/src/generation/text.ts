// Small text tools shared by the extractive tutor and the LLM answer parser: content words,
// sentences, and whitespace squashing (for the verbatim check of quotes).

const STOP = new Set(
  ('a about above after again all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our out over own same she should so some such than that the their theirs them then there these they this those through to too under until up very was we were what when where which who whom why will with would you your yours explain tell show give describe please mean means meaning example examples question questions answer following use used using one two get got make like know want need way ways work works thing things').split(
    ' ',
  ),
);

/** Lower-case content words, lightly stemmed ("loops" → "loop", "nested" stays). */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().normalize('NFKC').match(/[a-z][a-z0-9_]*/g) ?? [])
    .filter((w) => w.length > 2 && !STOP.has(w))
    .map((w) => (w.length > 4 && w.endsWith('es') && !w.endsWith('ses') ? w.slice(0, -2) : w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

/**
 * Lines of a passage with the PDF's line wrapping undone: a line that does not end a sentence and
 * is followed by one that continues it (lower-case start, or a long wrapped line) are joined.
 */
export function paragraphs(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+/g, ' ').trim();
    if (!line) continue;
    const prev = out.at(-1);
    const continues = prev !== undefined && !/[.!?:]["')\]]?$/.test(prev) && (/^[a-z(,;]/.test(line) || (prev.length > 60 && /^[A-Za-z]/.test(line)));
    if (continues) out[out.length - 1] = `${prev} ${line}`;
    else out.push(line);
  }
  return out;
}

/** Sentences of a passage (list items and code lines stay whole). */
export function sentences(text: string): string[] {
  return paragraphs(text)
    .flatMap((p) => p.split(/(?<=[.!?])\s+(?=[A-Z0-9"'(])/))
    .map((s) => s.trim())
    .filter((s) => s.length >= 3);
}

/** The text with every run of whitespace made one space, trimmed. */
export const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Normalised form of a question for the answer cache. */
export function normaliseQuestion(q: string): string {
  return q.toLowerCase().normalize('NFKC').replace(/\s+/g, ' ').replace(/[\s?.!]+$/, '').trim();
}

/** Splits text into small pieces for streaming (a few words each, whitespace kept). */
export function streamPieces(text: string, wordsPerPiece = 4): string[] {
  const tokens = text.match(/\S+\s*/g) ?? [];
  const out: string[] = [];
  const lead = text.match(/^\s+/)?.[0] ?? '';
  for (let i = 0; i < tokens.length; i += wordsPerPiece) out.push(tokens.slice(i, i + wordsPerPiece).join(''));
  if (lead && out.length) out[0] = lead + out[0];
  return out;
}
