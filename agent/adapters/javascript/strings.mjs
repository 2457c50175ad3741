// Decoding Arrow string columns into few JavaScript strings.

/**
 * Short ASCII values that repeat (regions, categories, status codes) share one string each
 * instead of a new one per row: a million rows of a few distinct values then cost a few
 * strings, not a million allocations for the GC to copy. Columns whose values do not
 * repeat stop being looked up after a sample.
 */
export class RepeatedStrings {
  constructor(bytes, all) {
    this.bytes = bytes;
    this.all = all;
    this.seen = new Map(); // hash of the bytes -> [start, end, string]
    this.lookups = 0;
    this.hits = 0;
    this.active = true;
  }

  get(start, end) {
    if (!this.active || end - start > 32) return this.all.slice(start, end);
    const bytes = this.bytes;
    let hash = end - start;
    for (let j = start; j < end; j++) hash = (Math.imul(hash, 31) + bytes[j]) | 0;
    const entry = this.seen.get(hash);
    this.lookups++;
    if (entry !== undefined && entry[1] - entry[0] === end - start) {
      let same = true;
      for (let j = 0, k = entry[0]; same && j < end - start; j++, k++) same = bytes[start + j] === bytes[k];
      if (same) {
        this.hits++;
        return entry[2];
      }
    }
    const value = this.all.slice(start, end);
    if (entry === undefined && this.seen.size < 65536) this.seen.set(hash, [start, end, value]);
    if (this.lookups === 4096 && this.hits < 2048) this.active = false; // mostly distinct: stop
    return value;
  }
}
