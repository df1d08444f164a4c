import { describe, expect, it } from "vitest";
import { locateColumns, readRegistryRow } from "./registry-row.js";

const CYRILLIC = ["Матични број", "ПИБ", "Пословно име", "Скраћено пословно име", "Шифра делатности", "Назив делатности", "Адреса", "Место", "Статус"];
const LATIN = ["Maticni broj", "PIB", "Poslovno ime", "Skraćeno poslovno ime", "Šifra delatnosti", "Naziv delatnosti", "Adresa", "Mesto", "Status"];

describe("locateColumns", () => {
  it("finds the APR columns in Cyrillic, in Latin with or without diacritics, and by a configured name", () => {
    expect(locateColumns(CYRILLIC, {})).toEqual({ columns: { registryNumber: 0, taxId: 1, name: 2, shortName: 3, activityCode: 4, activityName: 5, address: 6, city: 7, status: 8 }, missing: [] });
    expect(locateColumns(LATIN, {}).columns).toEqual(locateColumns(CYRILLIC, {}).columns);
    const custom = locateColumns(["MB", "PIB", "Firma", "Delatnost", "Ulica", "Grad"], { name: "Firma", activityCode: "Delatnost", address: "Ulica", city: "Grad" });
    expect(custom).toEqual({ columns: { registryNumber: 0, taxId: 1, name: 2, activityCode: 3, address: 4, city: 5 }, missing: [] });
    expect(locateColumns(["MB", "Naziv"], {}).missing).toEqual(["taxId", "activityCode", "address", "city"]);
  });
});

describe("readRegistryRow", () => {
  const { columns } = locateColumns(CYRILLIC, {});
  const row = (overrides: Partial<Record<number, string>> = {}) => {
    const cells = ["17123408", "101234501", "ЖУПА ДОО", "", "4711", "Трговина на мало", "Видовданска 12", "Крушевац", "Активан"];
    for (const [index, value] of Object.entries(overrides)) cells[Number(index)] = value!;
    return readRegistryRow(cells, columns);
  };

  it("reads a valid row: KD code with a dot, street and number apart, bb for no number", () => {
    expect(row()).toEqual({
      kind: "record",
      record: { registryNumber: "17123408", taxId: "101234501", name: "ЖУПА ДОО", shortName: null, activity: { code: "47.11", label: "Трговина на мало" }, address: { street: "Видовданска", number: "12", city: "Крушевац" } },
    });
    expect(row({ 6: "Трг косовских јунака бб" })).toMatchObject({ record: { address: { street: "Трг косовских јунака", number: "bb" } } });
    expect(row({ 6: "Јасички пут" })).toMatchObject({ record: { address: { street: "Јасички пут", number: "bb" } } });
    expect(row({ 6: "Обилићева 4а" })).toMatchObject({ record: { address: { number: "4а" } } });
    expect(row({ 5: "" })).toMatchObject({ record: { activity: { label: "47.11" } } });
    // A spreadsheet dropped the leading zeros; the check digit still holds.
    expect(row({ 0: "123404" })).toMatchObject({ record: { registryNumber: "00123404" } });
  });

  it("names the field of a bad row and skips a struck-off company", () => {
    expect(row({ 0: "17123409" })).toMatchObject({ kind: "reject", field: "registryNumber" });
    expect(row({ 0: "1712340A" })).toMatchObject({ kind: "reject", field: "registryNumber", reason: 'must be exactly 8 digits, not "1712340A"' });
    expect(row({ 1: "101234502" })).toMatchObject({ kind: "reject", field: "taxId", reason: expect.stringContaining("wrong check digit") });
    expect(row({ 2: " " })).toMatchObject({ kind: "reject", field: "name" });
    expect(row({ 4: "47-11" })).toMatchObject({ kind: "reject", field: "activityCode" });
    expect(row({ 6: "" })).toMatchObject({ kind: "reject", field: "address" });
    expect(row({ 7: "" })).toMatchObject({ kind: "reject", field: "city" });
    expect(row({ 8: "Брисан" })).toEqual({ kind: "struck-off" });
    expect(row({ 8: "Obrisan" })).toEqual({ kind: "struck-off" });
    expect(row({ 8: "У ликвидацији" })).toMatchObject({ kind: "record" });
  });
});
