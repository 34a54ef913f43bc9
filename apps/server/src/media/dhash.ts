/**
 * Difference hash: from a 9x8 greyscale thumbnail, one bit per horizontally adjacent pair
 * (left brighter than right). Near-identical pictures differ in a few bits; Hamming distance
 * ≤ 10 of 64 is a strong "same photo" signal that survives re-encoding and resizing.
 * Returned as a signed 64-bit decimal string, ready for a PostgreSQL bigint.
 */
export const DHASH_WIDTH = 9;
export const DHASH_HEIGHT = 8;

export function dhash(grey: Uint8Array): string {
  if (grey.length !== DHASH_WIDTH * DHASH_HEIGHT) throw new Error('dhash needs a 9x8 greyscale image');
  let bits = 0n;
  for (let y = 0; y < DHASH_HEIGHT; y++) {
    for (let x = 0; x < DHASH_WIDTH - 1; x++) {
      const left = grey[y * DHASH_WIDTH + x]!;
      const right = grey[y * DHASH_WIDTH + x + 1]!;
      bits = (bits << 1n) | (left > right ? 1n : 0n);
    }
  }
  return BigInt.asIntN(64, bits).toString();
}

export function hammingDistance(a: string, b: string): number {
  let x = BigInt.asUintN(64, BigInt(a) ^ BigInt(b));
  let count = 0;
  while (x > 0n) {
    count += Number(x & 1n);
    x >>= 1n;
  }
  return count;
}
