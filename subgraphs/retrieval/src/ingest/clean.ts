// Turns raw page text into clean lines: whitespace normalised, running headers and footers (page
// numbers, book and chapter titles repeated on many pages) removed, words hyphenated across line
// breaks joined again.

const HEAD_LINES = 2;
const FOOT_LINES = 2;

function normaliseWhitespace(line: string): string {
  return line
    .replace(/[\u00a0\u2000-\u200b\u202f\u205f\u3000]/g, ' ')
    .replace(/\t/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Lines that differ only in numbers ("12", "Chapter 3 • Loops 57") count as the same header. */
function shape(line: string): string {
  return line.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
}

export function cleanPages(rawPages: string[]): string[][] {
  const pages = rawPages.map((p) => p.normalize('NFC').split(/\r?\n/).map(normaliseWhitespace).filter((l) => l.length > 0));

  // A line shape at the top or bottom of at least 30 % of pages (and 3 pages) is a running header
  // or footer. Pure page numbers are always dropped there.
  const counts = new Map<string, number>();
  for (const lines of pages) {
    const edge = new Set([...lines.slice(0, HEAD_LINES), ...lines.slice(-FOOT_LINES)].map(shape));
    for (const s of edge) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  const threshold = Math.max(3, Math.ceil(pages.length * 0.3));
  const running = new Set([...counts].filter(([s, n]) => n >= threshold || /^(page )?#( of #)?$/.test(s)).map(([s]) => s));
  if (pages.length < 3) for (const s of [...running]) if (!/^(page )?#( of #)?$/.test(s)) running.delete(s);

  return pages.map((lines) => {
    const out = [...lines];
    for (let i = 0; i < HEAD_LINES && out.length && running.has(shape(out[0]!)); i++) out.shift();
    for (let i = 0; i < FOOT_LINES && out.length && running.has(shape(out.at(-1)!)); i++) out.pop();
    return dehyphenate(out);
  });
}

/** "experi-" + "ment" → "experiment" when a lower-case word continues on the next line. */
function dehyphenate(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const prev = out.at(-1);
    if (prev && /[A-Za-z]{2}-$/.test(prev) && /^[a-z]{2}/.test(line)) {
      const [first, ...rest] = line.split(' ');
      out[out.length - 1] = prev.slice(0, -1) + first;
      if (rest.length) out.push(rest.join(' '));
    } else {
      out.push(line);
    }
  }
  return out;
}
