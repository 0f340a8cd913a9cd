/**
 * Trigrams as FULLTEXT words, for databases without an n-gram parser (MariaDB): every run of
 * three characters of the lower-cased text becomes one word, the hex of its UTF-8 bytes (`abc` →
 * `616263`). Hex words are [0-9a-f]{6,24}: inside the default InnoDB token sizes (3…84), never a
 * stopword, and untouched by the word parser's punctuation rules. Documents and queries go
 * through this one function, so they agree on case folding and on characters outside the BMP.
 */
export function trigramWords(text: string): Set<string> {
  const chars = Array.from(text.toLowerCase());
  const words = new Set<string>();
  for (let index = 0; index + 3 <= chars.length; index += 1) {
    const gram = `${chars[index]}${chars[index + 1]}${chars[index + 2]}`;
    if (gram.includes('\n')) continue; // matches never span lines
    words.add(Buffer.from(gram, 'utf8').toString('hex'));
  }
  return words;
}

/**
 * Most distinct trigram words one file may carry: its word list (7 bytes a word) then stays
 * under 1.4 MB, so a row of content and words fits MariaDB's statement budget. Source files have
 * far fewer; a file over it (random data that passed the binary check) is skipped, not cut.
 */
export const MAX_TRIGRAM_WORDS = 200_000;

/** The boolean-mode query requiring every trigram of `literals` (each at least 3 characters). */
export function trigramQuery(literals: readonly string[], maxWords = 64): string {
  const words = new Set<string>();
  for (const literal of literals) for (const word of trigramWords(literal)) words.add(word);
  // Enough trigrams select well; a few dozen spread over the literals keep the query short.
  const all = [...words];
  const step = Math.max(1, all.length / maxWords);
  const chosen: string[] = [];
  for (let index = 0; index < all.length && chosen.length < maxWords; index += step) {
    chosen.push(all[Math.floor(index)]!);
  }
  return chosen.map((word) => `+${word}`).join(' ');
}
