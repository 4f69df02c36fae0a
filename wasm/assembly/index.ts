// Entry of the rules engine module: numbers and bytes in, reason codes and bytes out, never an abort for an
// expected failure. The host writes strings into IO (ASCII digits) and reads results from IO or CODES.
// One instance holds one ID type's rules: configure(), add the pattern lists, then finish().
import { initStep, checkDigitOf } from "./verhoeff";
import {
  setParameters, addPrefix, addSubstring, addCyclicNumbers, buildAutomaton, idLength, MATCH_RESTRICTED,
} from "./params";
import { validateId, fullCode, resetState, NOT_DIGITS, ownContext, setOwnContext } from "./checks";
import { buildFastPath, UNDECIDED, fastStates, fastPathReady } from "./fastpath";
import { buildContext, contextCode, pairCode } from "./pairs";
export { generate, reserveDistinct, releaseDistinct, walk, estimate } from "./search";
import { ESTIMATE, excludeFirstDigit, initReduce, initNthAllowed } from "./search";

const IO_BYTES = 1 << 20;
const IO = new StaticArray<u8>(IO_BYTES);
const CODES = new StaticArray<u8>(IO_BYTES >> 1);

export function ioPointer(): usize { return changetype<usize>(IO); }
export function ioBytes(): i32 { return IO_BYTES; }
export function codesPointer(): usize { return changetype<usize>(CODES); }
export function estimatePointer(): usize { return changetype<usize>(ESTIMATE); }

export function alloc(bytes: usize): usize { return heap.alloc(bytes); }
export function release(pointer: usize): void { heap.free(pointer); }

export function configure(
  length: i32, sequenceLimit: i32, sequenceWrap: bool, repeatDistance: i32, blockLimit: i32,
  evenLimit: i32, evenMask: u32, groupLimit: i32, reverseLimit: i32, groupOverlap: bool,
): void {
  initStep();
  initReduce();
  initNthAllowed();
  resetState();
  setParameters(length, sequenceLimit, sequenceWrap, repeatDistance, blockLimit, evenLimit, evenMask,
    groupLimit, reverseLimit, groupOverlap);
}

/** Adds the not_start_with entry held in IO[0 .. len). False when the pattern space is full. */
export function addNotStartWith(len: i32): bool {
  if (len == 1) excludeFirstDigit(<i32>unchecked(IO[0]) - 48);
  return addPrefix(changetype<usize>(IO), len);
}

/** Adds the restricted number held in IO[0 .. len). False when the pattern space is full. */
export function addRestricted(len: i32): bool { return addSubstring(changetype<usize>(IO), len, MATCH_RESTRICTED); }

/** Ends configuration. False when the pattern space is full. */
export function finish(cyclicNumbers: bool): bool {
  if (cyclicNumbers && !addCyclicNumbers()) return false;
  buildAutomaton();
  buildFastPath();
  if (ownContext != 0) heap.free(ownContext);
  setOwnContext(buildContext());
  return true;
}

/** States of the fast path's automaton (0: no fast path), for tests and diagnostics. */
export function automatonStates(): i32 { return fastPathReady ? fastStates : 0; }

/**
 * The fast path's context of the rules configured now, for validateIn(): a copy the caller owns (free it with
 * release()), so that one instance can hold many ID types' fast paths. 0 when the rules do not fit it.
 */
export function newContext(): usize { return buildContext(); }

/**
 * Reason code of the ID in IO[0 .. len) under the context's rules when the fast path is sure of it, else -1:
 * the instance the context came from names the first failure (its full evaluation needs its own tables).
 */
export function validateIn(ctx: usize, len: i32): i32 {
  return ctx == 0 ? UNDECIDED : contextCode(ctx, changetype<usize>(IO), len);
}

/** Reason code of the ID in IO[0 .. len): 0 valid, else 1 + the index of the reason in id-rules.md's order. */
export function validate(len: i32): i32 { return validateId(changetype<usize>(IO), len); }

/** Check digit of the payload in IO[0 .. len), or -1 if it holds a non-digit. */
export function checkDigit(len: i32): i32 { return checkDigitOf(changetype<usize>(IO), len); }

/**
 * Validates the newline-terminated IDs in IO[0 .. total) and writes one reason code per ID to CODES.
 * Returns how many IDs there were. Most lines have the type's length, so that case skips the scan for '\n'.
 */
export function validateLines(total: i32): i32 {
  const base = changetype<usize>(IO);
  const context = ownContext;
  const len = idLength;
  let start = 0;
  let count = 0;
  while (start < total) {
    let code = NOT_DIGITS;
    let end = start + len;
    if (end < total && load<u8>(base + <usize>end) == 10) {
      code = context != 0 ? pairCode(context, base + <usize>start) : validateId(base + <usize>start, len);
      if (code == UNDECIDED) code = fullCode(base + <usize>start, len);
    }
    if (code == NOT_DIGITS) {
      end = start;
      while (end < total && load<u8>(base + <usize>end) != 10) end++;
      code = validateId(base + <usize>start, end - start);
    }
    unchecked(CODES[count++] = <u8>code);
    start = end + 1;
  }
  return count;
}
