// Line numbers of character offsets in one text, by binary search over line starts found once. Pure.
/**
 * Line numbers of character offsets in one text. The line starts are found once, in one pass, and
 * each lookup is a binary search, so naming the line of every match in a file stays linear in
 * its size however many matches there are (counting newlines from the start for each match
 * made a file of 10,000 matches take seconds).
 */
export class LineIndex {
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
      this.#starts.push(index + 1);
    }
  }

  /** The 1-based line that holds the character at `offset`. */
  lineOf(offset: number): number {
    const starts = this.#starts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }
}
