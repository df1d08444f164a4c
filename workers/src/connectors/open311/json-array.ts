/**
 * Splits a JSON array into its elements' texts without parsing them as a whole, so that a body cut
 * off half-way still yields every element before the cut, and one malformed element costs only
 * itself. Strings (with their escapes) are skipped as opaque text; only brackets outside strings count.
 */
export interface JsonArrayElement {
  text: string;
  /** The line of the body the element starts on (1-based). */
  line: number;
}

export interface SplitJsonArray {
  elements: JsonArrayElement[];
  /** The body ended before the array's closing bracket; the cut element, if any, is `tail`. */
  truncated: boolean;
  tail: JsonArrayElement | null;
}

export class NotAJsonArrayError extends Error {
  override readonly name = "NotAJsonArrayError";
}

export function splitJsonArray(text: string): SplitJsonArray {
  let index = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const skipSpace = () => {
    while (index < text.length && /\s/.test(text[index]!)) {
      if (text[index] === "\n") line += 1;
      index += 1;
    }
  };
  skipSpace();
  if (text[index] !== "[") throw new NotAJsonArrayError(`the body is not a JSON array (it starts with ${JSON.stringify(text.slice(index, index + 40))})`);
  index += 1;
  const elements: JsonArrayElement[] = [];
  let start = -1;
  let startLine = line;
  let depth = 0;
  let inString = false;
  let escaped = false;
  const close = (end: number) => {
    const elementText = text.slice(start, end).trim();
    if (elementText !== "") elements.push({ text: elementText, line: startLine });
    start = -1;
  };
  for (; index < text.length; index++) {
    const character = text[index]!;
    if (character === "\n") line += 1;
    if (inString) {
      if (escaped) escaped = false;
      else if (character === "\\") escaped = true;
      else if (character === '"') inString = false;
      continue;
    }
    if (start === -1) {
      if (/\s/.test(character)) continue;
      if (character === "]" && depth === 0) return { elements, truncated: false, tail: null };
      if (character === ",") {
        // An empty element (`[,`) is malformed JSON: keep it so that it is reported.
        elements.push({ text: "", line });
        continue;
      }
      start = index;
      startLine = line;
    }
    if (character === '"') inString = true;
    else if (character === "{" || character === "[") depth += 1;
    else if (character === "}" || character === "]") {
      if (depth === 0) {
        close(index);
        return { elements, truncated: false, tail: null };
      }
      depth -= 1;
    } else if (character === "," && depth === 0) close(index);
  }
  const tail = start === -1 ? null : { text: text.slice(start).trim(), line: startLine };
  return { elements, truncated: true, tail };
}
