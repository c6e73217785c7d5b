/**
 * Words of a question as safe `to_tsquery` operands (letters, digits, underscores only), at most
 * 64 of them. Postgres stems them and drops stop words itself.
 */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().normalize('NFKC').match(/[a-z0-9_]+/g) ?? [];
  return [...new Set(words.filter((w) => w.length > 1 || /\d/.test(w)))].slice(0, 64);
}
