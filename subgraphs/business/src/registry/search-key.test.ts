import { describe, expect, it } from "vitest";
import { normaliseForSearch, searchPrefixes, searchWords, toSerbianCyrillic, toSerbianLatin } from "./search-key.js";

describe("Serbian transliteration and search keys", () => {
  it("writes Latin in Cyrillic, digraphs as one letter, keeping case, and back again", () => {
    expect(toSerbianCyrillic("Gvožđara Ljubičica d.o.o.")).toBe("Гвожђара Љубичица д.о.о.");
    expect(toSerbianCyrillic("NJEGOŠEVA 12a, Džakula")).toBe("ЊЕГОШЕВА 12а, Џакула");
    expect(toSerbianCyrillic("Kafe Wi-Fi")).toBe("Кафе Wи-Фи");
    for (const name of ["Stomatološka ordinacija Župa", "Knjigovodstvena agencija Ćirilica", "Pekara Kod Jovana 2", "Džez klub Njegoš"]) {
      expect(toSerbianLatin(toSerbianCyrillic(name))).toBe(name);
      expect(normaliseForSearch(toSerbianCyrillic(name))).toBe(normaliseForSearch(name));
    }
  });

  it("transliterates Cyrillic to Latin by the official correspondence, digraphs included", () => {
    expect(toSerbianLatin("Апотека Крушевац")).toBe("Apoteka Kruševac");
    expect(toSerbianLatin("Љубичица")).toBe("Ljubičica");
    expect(toSerbianLatin("Њиве")).toBe("Njive");
    expect(toSerbianLatin("Џеп")).toBe("Džep");
    expect(toSerbianLatin("ЉУБИЧИЦА")).toBe("LJUBIČICA");
    expect(toSerbianLatin("Ђорђевић")).toBe("Đorđević");
    expect(toSerbianLatin("ћевабџиница Жика Шљивић")).toBe("ćevabdžinica Žika Šljivić");
    expect(toSerbianLatin("Kruševac 2")).toBe("Kruševac 2");
  });

  it("normalises either script, with or without diacritics, to the same key", () => {
    for (const spelling of ["Крушевац", "Kruševac", "Krusevac", "KRUŠEVAC"]) expect(normaliseForSearch(spelling), spelling).toBe("krusevac");
    for (const spelling of ["Ђорђевић", "Đorđević", "Djordjevic"]) expect(normaliseForSearch(spelling), spelling).toBe("djordjevic");
    expect(normaliseForSearch("Љубичица")).toBe(normaliseForSearch("Ljubicica"));
    expect(normaliseForSearch("Њиве")).toBe("njive");
    expect(normaliseForSearch("Čačak")).toBe(normaliseForSearch("Чачак"));
  });

  it("splits words on anything that is not a letter or digit", () => {
    expect(searchWords("Apoteka „Lipa” d.o.o. — Kruševac")).toEqual(["apoteka", "lipa", "d", "o", "o", "krusevac"]);
    expect(searchWords("  ")).toEqual([]);
  });

  it("stores every prefix of every word of the name and trading name", () => {
    const prefixes = searchPrefixes("Апотека Крушевац", null, "Lipa");
    for (const expected of ["a", "apot", "apoteka", "k", "krus", "krusevac", "lipa"]) expect(prefixes).toContain(expected);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    // đ written without diacritics is "dj", or by some just "d": both are stored.
    expect(searchPrefixes("Gvožđara")).toEqual(expect.arrayContaining(["gvozdjara", "gvozdara"]));
    expect(searchPrefixes("Ђорђевић")).toEqual(expect.arrayContaining(["djordjevic", "dordevic"]));
  });
});
