/**
 * Git's delta instruction loop (`applyWithin` in `delta.ts`) as a small WebAssembly function, for
 * base, delta and result that lie in one WebAssembly memory (the reader's ring of recent contents
 * and a delta area after it: `RecentContents`). In JavaScript each copy from the base is a
 * `copyWithin` call (~23 ns whatever its size up to ~128 bytes) or a byte loop; here copies and
 * inserts are WebAssembly's `memory.copy`, a few nanoseconds each. The storage bench's pack has
 * ~540k copies and ~530k inserts in 28k deltas (docs/scale.md, "The decode thread's
 * per-object work… (fifteenth session)").
 *
 * It checks what `applyWithin` checks (truncated instructions, copies outside the base or the
 * result, inserts past the delta or the result, the reserved opcode, the result's length) but
 * only says whether the delta was good: on any error the caller runs `applyWithin` over the same
 * bytes, which throws the error it always did. The module is built here, byte by byte (see
 * `deltaModuleBytes`), so no binary blob is checked in.
 */

/** The function's parameters (all i32 offsets in the memory, or lengths), then its locals. */
const POS = 0;
const DELTA_END = 1;
const BASE_AT = 2;
const BASE_SIZE = 3;
const WRITTEN = 4;
const END = 5;
const OP = 6;
const OFFSET = 7;
const SIZE = 8;

// The few opcodes used (WebAssembly core spec, binary format).
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const ELSE = 0x05;
const END_OP = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const RETURN = 0x0f;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_LOAD8_U = 0x2d;
const I32_CONST = 0x41;
const I32_EQZ = 0x45;
const I32_NE = 0x47;
const I32_GE_U = 0x4f;
const I32_GT_U = 0x4b;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_SHL = 0x74;
const VOID = 0x40;
const I32 = 0x7f;
const MEMORY_COPY = [0xfc, 0x0a, 0x00, 0x00];

function get(local: number): number[] {
  return [LOCAL_GET, local];
}

function set(local: number): number[] {
  return [LOCAL_SET, local];
}

function i32(value: number): number[] {
  // Signed LEB128.
  const bytes: number[] = [I32_CONST];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** `local += by` (by: instructions that push an i32). */
function addTo(local: number, by: number[]): number[] {
  return [...get(local), ...by, I32_ADD, ...set(local)];
}

/** Fails (branch `depth` out to the failure block) unless a delta byte is left to read. */
function needByte(depth: number): number[] {
  return [...get(POS), ...get(DELTA_END), I32_GE_U, BR_IF, depth];
}

/**
 * When bit `bit` of the copy opcode is set: reads the next delta byte into `local` at `shift`
 * bits. Inside this `if`, the failure block is 3 levels out (if, if, loop).
 */
function copyByte(bit: number, local: number, shift: number): number[] {
  const byte = [...get(POS), I32_LOAD8_U, 0, 0];
  const shifted = shift === 0 ? byte : [...byte, ...i32(shift), I32_SHL];
  return [
    ...get(OP),
    ...i32(bit),
    I32_AND,
    IF,
    VOID,
    ...needByte(3),
    ...(shift === 0 ? [...shifted, ...set(local)] : [...get(local), ...shifted, I32_OR, ...set(local)]),
    ...addTo(POS, i32(1)),
    END_OP,
  ];
}

/** Fails (branch `depth` out) when `length` (a local) is more than `limit - from` (unsigned). */
function failIfOver(length: number, limit: number, from: number, depth: number): number[] {
  return [...get(length), ...get(limit), ...get(from), I32_SUB, I32_GT_U, BR_IF, depth];
}

/** The body of `apply(pos, deltaEnd, baseAt, baseSize, written, end) → 0 (applied) or 1 (bad delta)`. */
function applyBody(): number[] {
  const copy = [
    ...i32(0),
    ...set(OFFSET),
    ...i32(0),
    ...set(SIZE),
    ...copyByte(0x01, OFFSET, 0),
    ...copyByte(0x02, OFFSET, 8),
    ...copyByte(0x04, OFFSET, 16),
    ...copyByte(0x08, OFFSET, 24),
    ...copyByte(0x10, SIZE, 0),
    ...copyByte(0x20, SIZE, 8),
    ...copyByte(0x40, SIZE, 16),
    // A size of 0 means 0x10000.
    ...get(SIZE),
    I32_EQZ,
    IF,
    VOID,
    ...i32(0x10000),
    ...set(SIZE),
    END_OP,
    // Inside the opcode's `if`, the failure block is 2 levels out (if, loop).
    ...get(OFFSET),
    ...get(BASE_SIZE),
    I32_GT_U,
    BR_IF,
    2,
    ...failIfOver(SIZE, BASE_SIZE, OFFSET, 2),
    ...failIfOver(SIZE, END, WRITTEN, 2),
    ...get(WRITTEN),
    ...get(BASE_AT),
    ...get(OFFSET),
    I32_ADD,
    ...get(SIZE),
    ...MEMORY_COPY,
    ...addTo(WRITTEN, get(SIZE)),
  ];
  const insert = [
    ...get(OP),
    I32_EQZ,
    BR_IF,
    2,
    ...failIfOver(OP, DELTA_END, POS, 2),
    ...failIfOver(OP, END, WRITTEN, 2),
    ...get(WRITTEN),
    ...get(POS),
    ...get(OP),
    ...MEMORY_COPY,
    ...addTo(POS, get(OP)),
    ...addTo(WRITTEN, get(OP)),
  ];
  return [
    BLOCK,
    VOID,
    LOOP,
    VOID,
    // The delta's end: the result must be exactly full.
    ...get(POS),
    ...get(DELTA_END),
    I32_GE_U,
    IF,
    VOID,
    ...get(WRITTEN),
    ...get(END),
    I32_NE,
    RETURN,
    END_OP,
    ...get(POS),
    I32_LOAD8_U,
    0,
    0,
    ...set(OP),
    ...addTo(POS, i32(1)),
    ...get(OP),
    ...i32(0x80),
    I32_AND,
    IF,
    VOID,
    ...copy,
    ELSE,
    ...insert,
    END_OP,
    BR,
    0,
    END_OP,
    END_OP,
    ...i32(1),
    END_OP,
  ];
}

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    bytes.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return bytes;
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

function name(text: string): number[] {
  return [text.length, ...Buffer.from(text, 'latin1')];
}

/** The module: imports `js.memory`, exports `apply`. */
export function deltaModuleBytes(): Uint8Array {
  const body = [1, 3, I32, ...applyBody()]; // one group of three i32 locals
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 1, I32]),
    ...section(2, [1, ...name('js'), ...name('memory'), 0x02, 0x00, 0x00]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('apply'), 0x00, 0]),
    ...section(10, [1, ...unsignedLeb(body.length), ...body]),
  ]);
}

/** `apply(pos, deltaEnd, baseAt, baseSize, resultAt, resultEnd)`: 0 when applied, 1 for a bad delta. */
export type WasmDeltaApply = (
  pos: number,
  deltaEnd: number,
  baseAt: number,
  baseSize: number,
  resultAt: number,
  resultEnd: number,
) => number;

/** The part of the WebAssembly API used here (the project's `lib` has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
}

/** WebAssembly's page size: a memory is a whole number of pages. */
const PAGE = 64 * 1024;
/** Pages a 32-bit memory has at most. */
const MAX_PAGES = 65536;

let compiled: object | null | undefined;

/**
 * A memory of at least `bytes` that never grows (so views of it stay valid) and the delta loop
 * over it; undefined where WebAssembly is not available or no memory can be made (a limited
 * `ulimit -v`: each memory reserves address space): the caller then uses a buffer and applies
 * deltas in JavaScript.
 */
export function wasmDeltaMemory(bytes: number): { buffer: ArrayBuffer; apply: WasmDeltaApply } | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  const pages = Math.ceil(bytes / PAGE);
  if (!api || pages > MAX_PAGES || compiled === null) return undefined;
  try {
    compiled ??= new api.Module(deltaModuleBytes());
  } catch {
    // Not compiled here (WebAssembly turned off, say): never tried again.
    compiled = null;
    return undefined;
  }
  try {
    const memory = new api.Memory({ initial: pages, maximum: pages });
    const instance = new api.Instance(compiled, { js: { memory } });
    return { buffer: memory.buffer, apply: instance.exports.apply as WasmDeltaApply };
  } catch {
    return undefined;
  }
}
