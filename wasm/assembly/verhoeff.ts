// Verhoeff's check digit over the dihedral group D5 (J. Verhoeff, 1969). The three tables are public-domain
// data, typed in from ../shared/reference/id-rules.md: D is the group product, P the position permutations
// (row i applies to the digit at position i mod 8, counted from the right), INV the group inverse.

export const D: StaticArray<u8> = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  1, 2, 3, 4, 0, 6, 7, 8, 9, 5,
  2, 3, 4, 0, 1, 7, 8, 9, 5, 6,
  3, 4, 0, 1, 2, 8, 9, 5, 6, 7,
  4, 0, 1, 2, 3, 9, 5, 6, 7, 8,
  5, 9, 8, 7, 6, 0, 4, 3, 2, 1,
  6, 5, 9, 8, 7, 1, 0, 4, 3, 2,
  7, 6, 5, 9, 8, 2, 1, 0, 4, 3,
  8, 7, 6, 5, 9, 3, 2, 1, 0, 4,
  9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
];

export const P: StaticArray<u8> = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  1, 5, 7, 6, 2, 8, 3, 0, 9, 4,
  5, 8, 0, 3, 7, 9, 6, 1, 4, 2,
  8, 9, 1, 6, 0, 4, 3, 5, 2, 7,
  9, 4, 5, 3, 1, 2, 6, 8, 7, 0,
  4, 2, 8, 6, 5, 7, 3, 9, 0, 1,
  2, 7, 9, 3, 8, 0, 6, 4, 1, 5,
  7, 0, 4, 6, 9, 1, 3, 2, 5, 8,
];

export const INV: StaticArray<u8> = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

// The classic algorithm folds from the right: c = D[c][P[i mod 8][digit]], i.e. c = a0·a1·…·a(n-1).
// We read IDs from the left (to reject candidates early), so we keep the suffix product h = a(k)·…·a(n-1)
// and extend it on the left: h' = D[a][h]. STEP folds that into one lookup: STEP[(row*10 + h)*10 + digit].
// The ID is valid when the product over all digits is the identity 0; the check digit sits at i = 0
// where P is the identity, so for a payload product h the check digit is INV[h].
export const STEP = new StaticArray<u8>(800);

export function initStep(): void {
  for (let row = 0; row < 8; row++) {
    for (let h = 0; h < 10; h++) {
      for (let x = 0; x < 10; x++) {
        const a = <i32>unchecked(P[row * 10 + x]);
        unchecked(STEP[(row * 10 + h) * 10 + x] = D[a * 10 + h]);
      }
    }
  }
}

/** Check digit of the payload at ptr (len ASCII digits), or -1 if a byte is not a digit. */
export function checkDigitOf(ptr: usize, len: i32): i32 {
  let c = 0;
  for (let k = 0; k < len; k++) {
    const x = <i32>load<u8>(ptr + <usize>(len - 1 - k)) - 48;
    if (<u32>x > 9) return -1;
    c = unchecked(D[c * 10 + <i32>unchecked(P[((k + 1) & 7) * 10 + x])]);
  }
  return unchecked(INV[c]);
}
