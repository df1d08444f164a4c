/**
 * Search keys for names written in either Serbian script. A name is transliterated from Cyrillic to
 * Latin by the official Serbian correspondence (Вук's alphabet: љ→lj, њ→nj, џ→dž, ђ→đ, ћ→ć, ч→č,
 * ж→ž, ш→š, ...), then its diacritics are dropped (č, ć → c; š → s; ž → z; đ → dj, as Serbian is
 * written without diacritics) and it is lowercased: "Крушевац", "Kruševac" and "Krusevac" all become
 * "krusevac". Queries are normalised the same way, so either script finds either.
 */

const CYRILLIC_TO_LATIN: Readonly<Record<string, string>> = {
  а: "a", б: "b", в: "v", г: "g", д: "d", ђ: "đ", е: "e", ж: "ž", з: "z", и: "i", ј: "j", к: "k", л: "l",
  љ: "lj", м: "m", н: "n", њ: "nj", о: "o", п: "p", р: "r", с: "s", т: "t", ћ: "ć", у: "u", ф: "f",
  х: "h", ц: "c", ч: "č", џ: "dž", ш: "š",
};

/** Serbian Cyrillic to Serbian Latin, keeping case ("Љубичица" → "Ljubičica", "ЉУБ" → "LJUB"). */
export function toSerbianLatin(text: string): string {
  let result = "";
  const characters = [...text];
  characters.forEach((character, index) => {
    const lower = character.toLowerCase();
    const latin = CYRILLIC_TO_LATIN[lower];
    if (latin === undefined) {
      result += character;
      return;
    }
    if (character === lower) {
      result += latin;
      return;
    }
    // A capital digraph is "Lj" before lowercase and "LJ" in an all-capitals word.
    const next = characters[index + 1];
    const allCapitals = next !== undefined && next !== next.toLowerCase();
    result += allCapitals ? latin.toUpperCase() : latin.charAt(0).toUpperCase() + latin.slice(1);
  });
  return result;
}

const LATIN_TO_CYRILLIC: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(CYRILLIC_TO_LATIN).map(([cyrillic, latin]) => [latin, cyrillic]),
);

/**
 * Serbian Latin to Serbian Cyrillic, keeping case ("Gvožđara Ljubičica" → "Гвожђара Љубичица").
 * The digraphs lj, nj and dž become one letter each; so they do in the rare loanword where they are
 * two ("konjunktura"), which only a dictionary could tell. Letters outside the Serbian alphabet stay.
 */
export function toSerbianCyrillic(text: string): string {
  let result = "";
  const characters = [...text];
  for (let index = 0; index < characters.length; index++) {
    const character = characters[index]!;
    const pair = character + (characters[index + 1] ?? "");
    const digraph = LATIN_TO_CYRILLIC[pair.toLowerCase()];
    const cyrillic = digraph ?? LATIN_TO_CYRILLIC[character.toLowerCase()];
    if (cyrillic === undefined) {
      result += character;
      continue;
    }
    if (digraph !== undefined) index++;
    result += character === character.toLowerCase() ? cyrillic : cyrillic.toUpperCase();
  }
  return result;
}

/**
 * The search form of a text: Latin, without diacritics, lowercase, with every run of characters that
 * are not letters or digits turned into one space.
 */
export function normaliseForSearch(text: string, dj: "dj" | "d" = "dj"): string {
  return toSerbianLatin(text)
    .toLowerCase()
    // đ has no decomposition; Serbian without diacritics writes it "dj", sometimes just "d".
    .replace(/đ/g, dj)
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** The words of a text's search form ("Apoteka Kruševac d.o.o." → ["apoteka", "krusevac", "d", "o", "o"]). */
export function searchWords(text: string): string[] {
  const normalised = normaliseForSearch(text);
  return normalised === "" ? [] : normalised.split(" ");
}

/** The words of a text's search form, spelling đ both "dj" and "d" ("Gvožđara": gvozdjara, gvozdara). */
function storedWords(text: string): string[] {
  const words = searchWords(text);
  return /đ/i.test(toSerbianLatin(text)) ? [...words, ...normaliseForSearch(text, "d").split(" ").filter((word) => word !== "")] : words;
}

/**
 * Every prefix of every word of the texts, deduplicated. Stored in
 * a multikey-indexed array, so that "a word starts with q" is one equality lookup on the index.
 */
export function searchPrefixes(...texts: (string | null | undefined)[]): string[] {
  const prefixes = new Set<string>();
  for (const text of texts) {
    if (!text) continue;
    for (const word of storedWords(text)) {
      for (let length = 1; length <= word.length; length++) prefixes.add(word.slice(0, length));
    }
  }
  return [...prefixes];
}
