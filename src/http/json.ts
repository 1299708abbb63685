/**
 * Finds the first object key that appears twice in one object of a valid JSON text. JSON.parse
 * keeps the last value silently, so `{"email":"a@x","email":"b@y"}` could pass one check and send
 * to another address. No parser in Node reports duplicates, so this scans the text once.
 * Call it only on text that JSON.parse accepted.
 */
export function findDuplicateKey(text: string): string | undefined {
  // One entry a nesting level: the keys seen so far for an object, undefined for an array.
  const stack: (Set<string> | undefined)[] = [];
  let expectKey = false;

  for (let i = 0; i < text.length; i++) {
    const character = text[i];
    if (character === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (character === '[') {
      stack.push(undefined);
      expectKey = false;
    } else if (character === '}' || character === ']') {
      stack.pop();
      expectKey = false;
    } else if (character === ',') {
      expectKey = stack.at(-1) !== undefined;
    } else if (character === '"') {
      const end = endOfString(text, i);
      if (expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const keys = stack.at(-1)!;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    }
  }
  return undefined;
}

/** Returns the index of the quote that closes the string starting at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}
