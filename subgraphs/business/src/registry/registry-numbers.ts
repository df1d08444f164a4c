/**
 * Check digits of the two Serbian numbers every business carries.
 *
 * Matični broj (MB, registry number of a legal entity or sole trader): 8 digits, the last a mod-11
 * check digit over the first seven, weighted 2, 3, 4, 5, 6, 7, 2 from the right. A remainder of 0
 * gives 0; a remainder of 1 gives no digit, so no valid number has such a body. The algorithm follows
 * the open-source `serbian-validators` (oblakstudio, `validMB`, test vector 66143627) and agrees with
 * published numbers, e.g. NIS a.d. 20084693 and Telekom Srbija 17162543.
 *
 * PIB (poreski identifikacioni broj, tax id): 9 digits, the last an ISO 7064 MOD 11,10 check digit
 * over the first eight (python-stdnum `rs.pib`, test vector 101134702).
 */

const MB_WEIGHTS_FROM_RIGHT = [2, 3, 4, 5, 6, 7, 2] as const;

/** The check digit of a 7-digit MB body, or undefined when the body cannot have one (remainder 1). */
export function registryNumberCheckDigit(body: string): number | undefined {
  if (!/^\d{7}$/.test(body)) throw new RangeError(`an MB body is 7 digits, not ${JSON.stringify(body)}`);
  let sum = 0;
  for (let index = 0; index < 7; index++) sum += Number(body[6 - index]) * MB_WEIGHTS_FROM_RIGHT[index]!;
  const remainder = sum % 11;
  if (remainder === 0) return 0;
  if (remainder === 1) return undefined;
  return 11 - remainder;
}

/** Why `value` is not a valid MB, or undefined when it is. */
export function registryNumberProblem(value: string): string | undefined {
  if (!/^\d{8}$/.test(value)) return `must be exactly 8 digits, not ${JSON.stringify(value)}`;
  const check = registryNumberCheckDigit(value.slice(0, 7));
  if (check === undefined) return `${value} is not a valid registry number (its first 7 digits admit no check digit)`;
  if (check !== Number(value[7])) return `${value} has a wrong check digit (expected ${check})`;
  return undefined;
}

/** The ISO 7064 MOD 11,10 check digit of an 8-digit PIB body. */
export function taxIdCheckDigit(body: string): number {
  if (!/^\d{8}$/.test(body)) throw new RangeError(`a PIB body is 8 digits, not ${JSON.stringify(body)}`);
  let product = 10;
  for (const digit of body) {
    const sum = (product + Number(digit)) % 10 || 10;
    product = (2 * sum) % 11;
  }
  return (11 - product) % 10;
}

/** Why `value` is not a valid PIB, or undefined when it is. */
export function taxIdProblem(value: string): string | undefined {
  if (!/^\d{9}$/.test(value)) return `must be exactly 9 digits, not ${JSON.stringify(value)}`;
  const check = taxIdCheckDigit(value.slice(0, 8));
  if (check !== Number(value[8])) return `${value} has a wrong check digit (expected ${check})`;
  return undefined;
}
