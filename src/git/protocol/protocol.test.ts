import { describe, expect, it } from 'vitest';
import type { ObjectId } from '../object-id.js';
import { decodePktLines, encodePackets, dataPkt, FLUSH, DELIM, type PktLine } from '../pkt-line.js';
import { encodeRefAdvertisement, encodeServiceHeader } from './advertisement.js';
import { parseCapabilities } from './capabilities.js';
import { parseV0FetchRequest, parseV2FetchArgs, INFINITE_DEPTH, MAX_HAVES } from './fetch-request.js';
import { PktLineReader } from '../pkt-line-reader.js';
import { parseFilterSpec } from './filter-spec.js';
import { negotiateV0, negotiateV2, type NegotiationOracle } from './negotiation.js';
import {
  encodeReportStatus,
  isPushableRefName,
  MAX_PUSH_SHALLOWS,
  parseReceiveRequest,
} from './receive-request.js';
import { BAND_PROGRESS, encodeSideband, SIDEBAND_64K_MAX_DATA } from './sideband.js';
import {
  encodeLsRefs,
  MAX_V2_CAPABILITY_LINES,
  parseLsRefsArgs,
  parseObjectInfoArgs,
  readV2Command,
} from './v2.js';
import { codeOf } from '../../../tests/support/mega-errors.js';

const A = 'a'.repeat(40) as ObjectId;
const B = 'b'.repeat(40) as ObjectId;
const C = 'c'.repeat(40) as ObjectId;
const ZERO = '0'.repeat(40);

function reader(packets: readonly PktLine[]): () => Promise<PktLine | undefined> {
  // An index, not shift(): the hostile cases hand over 100,000s of packets.
  let next = 0;
  return async () => packets[next++];
}

describe('ref advertisement', () => {
  it('writes the smart HTTP header and capabilities on the first ref', () => {
    expect(encodeServiceHeader('git-upload-pack').toString()).toBe('001e# service=git-upload-pack\n0000');
    const out = encodeRefAdvertisement(
      [
        { name: 'HEAD', id: A },
        { name: 'refs/tags/v1', id: B, peeled: C },
      ],
      ['ofs-delta', 'symref=HEAD:refs/heads/main'],
      ZERO,
    ).toString();
    expect(out).toBe(
      `0058${A} HEAD\0ofs-delta symref=HEAD:refs/heads/main\n` +
        `003a${B} refs/tags/v1\n` +
        `003d${C} refs/tags/v1^{}\n0000`,
    );
  });

  it('advertises capabilities^{} for an empty repository', () => {
    const out = encodeRefAdvertisement([], ['atomic'], ZERO).toString();
    expect(out).toBe(`0044${ZERO} capabilities^{}\0atomic\n0000`);
  });
});

describe('v0 fetch request', () => {
  it('parses wants with capabilities, shallow, deepen, filter, haves and done', async () => {
    const request = await parseV0FetchRequest(
      reader([
        dataPkt(
          `want ${A} multi_ack_detailed side-band-64k thin-pack ofs-delta no-done include-tag filter agent=git/2\n`,
        ),
        dataPkt(`want ${B}\n`),
        dataPkt(`shallow ${C}\n`),
        dataPkt('deepen 3\n'),
        dataPkt('filter blob:limit=1k\n'),
        FLUSH,
        dataPkt(`have ${C}\n`),
        dataPkt('done\n'),
      ]),
    );
    expect(request.wants).toEqual([A, B]);
    expect(request.shallows).toEqual([C]);
    expect(request.haves).toEqual([C]);
    expect(request.depth).toBe(3);
    expect(request.filter).toEqual({ kind: 'blob:limit', limit: 1024 });
    expect(request).toMatchObject({ done: true, multiAck: 'multi_ack_detailed', sideband: 'side-band-64k' });
    expect(request).toMatchObject({ thinPack: true, ofsDelta: true, noDone: true, includeTag: true });
  });

  it('accepts a request that ends after the want list (shallow info only)', async () => {
    const request = await parseV0FetchRequest(reader([dataPkt(`want ${A}\n`), dataPkt('deepen 1\n'), FLUSH]));
    expect(request.wantsOnly).toBe(true);
  });

  it.each([
    ['a bad id', [dataPkt('want 1234\n'), FLUSH], 'invalid_object_id'],
    ['a have in the want list', [dataPkt(`have ${A}\n`), FLUSH], 'fetch_request_invalid'],
    ['garbage after wants', [dataPkt(`want ${A}\n`), FLUSH, dataPkt('hello\n')], 'fetch_request_invalid'],
    ['a truncated want list', [dataPkt(`want ${A}\n`)], 'fetch_request_truncated'],
    ['deepen 0', [dataPkt(`want ${A}\n`), dataPkt('deepen 0\n'), FLUSH], 'deepen_invalid'],
    ['deepen -1', [dataPkt(`want ${A}\n`), dataPkt('deepen -1\n'), FLUSH], 'deepen_invalid'],
    [
      'deepen with deepen-since',
      [dataPkt(`want ${A}\n`), dataPkt('deepen 1\n'), dataPkt('deepen-since 9\n'), FLUSH],
      'deepen_invalid',
    ],
    ['a want line without an id', [dataPkt('want\n'), FLUSH], 'invalid_object_id'],
    ['a non-text packet', [DELIM], 'fetch_request_invalid'],
    [
      'an unknown filter',
      [dataPkt(`want ${A}\n`), dataPkt('filter sparse:oid=x\n'), FLUSH],
      'filter_unsupported',
    ],
  ] as const)('refuses %s', async (_name, packets, code) => {
    expect(await codeOf(parseV0FetchRequest(reader(packets)))).toBe(code);
  });
});

describe('v2 commands', () => {
  it('reads a command with capabilities and arguments', async () => {
    const command = await readV2Command(
      reader([
        dataPkt('command=fetch\n'),
        dataPkt('agent=git/2.39\n'),
        DELIM,
        dataPkt(`want ${A}\n`),
        dataPkt('done\n'),
        FLUSH,
      ]),
    );
    expect(command?.command).toBe('fetch');
    expect(command?.capabilities.get('agent')).toBe('git/2.39');
    const fetch = parseV2FetchArgs(command?.args ?? []);
    expect(fetch.wants).toEqual([A]);
    expect(fetch.done).toBe(true);
  });

  it('returns undefined for a lone flush and refuses junk', async () => {
    expect(await readV2Command(reader([FLUSH]))).toBeUndefined();
    expect(await codeOf(readV2Command(reader([dataPkt('fetch\n'), FLUSH])))).toBe('v2_command_invalid');
    expect(await codeOf(readV2Command(reader([dataPkt('command=fetch\n'), DELIM])))).toBe(
      'v2_command_truncated',
    );
    expect(await codeOf(readV2Command(reader([dataPkt('command=fetch\n'), DELIM, DELIM, FLUSH])))).toBe(
      'v2_command_invalid',
    );
    expect(await codeOf(() => parseV2FetchArgs(['frobnicate']))).toBe('fetch_request_invalid');
    expect(await codeOf(() => parseV2FetchArgs([`want ${A}`, 'deepen 1', 'deepen-since 5']))).toBe(
      'deepen_invalid',
    );
  });

  it('parses ls-refs and formats symrefs, peeled tags and unborn HEAD', () => {
    const request = parseLsRefsArgs(['symrefs', 'peel', 'unborn', 'ref-prefix refs/heads/']);
    expect(request.refPrefixes).toEqual(['refs/heads/']);
    const out = encodeLsRefs(
      [
        { name: 'HEAD', symrefTarget: 'refs/heads/main' },
        { name: 'refs/tags/v1', id: A, peeled: B },
      ],
      request,
    ).toString();
    expect(out).toBe(
      `002eunborn HEAD symref-target:refs/heads/main\n` + `006a${A} refs/tags/v1 peeled:${B}\n0000`,
    );
    expect(() => parseLsRefsArgs(['bogus'])).toThrow();
  });

  it('parses object-info', () => {
    expect(parseObjectInfoArgs(['size', `oid ${A}`])).toEqual({ size: true, ids: [A] });
    expect(() => parseObjectInfoArgs(['oid nope'])).toThrow();
  });

  it('unsupported INFINITE_DEPTH is the max deepen', () => {
    expect(parseV2FetchArgs([`deepen ${INFINITE_DEPTH}`]).depth).toBe(INFINITE_DEPTH);
    expect(() => parseV2FetchArgs([`deepen ${INFINITE_DEPTH + 1}`])).toThrow();
  });
});

describe('negotiation', () => {
  const oracle = (known: readonly string[], ready: boolean): NegotiationOracle => ({
    addHave: async (id) => known.includes(id),
    okToGiveUp: async () => ready,
  });
  const base = { wants: [A], shallows: [], deepenNot: [], done: false, noDone: false, waitForDone: false };

  it('multi_ack_detailed: ACK common, ready, NAK per round', async () => {
    const request = {
      ...(await parseV2FetchArgs([])),
      ...base,
      haves: [B, C],
      multiAck: 'multi_ack_detailed' as const,
    };
    const result = await negotiateV0(request, oracle([B], true));
    expect(result.lines).toEqual([`ACK ${B} common`, `ACK ${C} ready`, 'NAK']);
    expect(result.sendPack).toBe(false);
  });

  it('no-done: sends the final ACK and the pack right after ready', async () => {
    const request = {
      ...parseV2FetchArgs([]),
      ...base,
      haves: [B],
      noDone: true,
      multiAck: 'multi_ack_detailed' as const,
    };
    const result = await negotiateV0(request, oracle([B], true));
    expect(result.lines).toEqual([`ACK ${B} common`, `ACK ${B} ready`, 'NAK', `ACK ${B}`]);
    expect(result.sendPack).toBe(true);
  });

  it('done with nothing in common answers NAK and sends the pack', async () => {
    const request = {
      ...parseV2FetchArgs([]),
      ...base,
      haves: [C],
      done: true,
      multiAck: 'multi_ack_detailed' as const,
    };
    const result = await negotiateV0(request, oracle([], false));
    expect(result.lines).toEqual(['NAK']);
    expect(result.sendPack).toBe(true);
  });

  it('tells the oracle every have of a round before asking about them one by one', async () => {
    const calls: string[] = [];
    const spy: NegotiationOracle = {
      prefetch: async (ids) => void calls.push(`prefetch ${ids.length}`),
      addHave: async (id) => (calls.push(`have ${id.slice(0, 1)}`), id === B),
      okToGiveUp: async () => true,
    };
    await negotiateV2({ ...parseV2FetchArgs([]), ...base, haves: [B, C] }, spy);
    await negotiateV0({ ...parseV2FetchArgs([]), ...base, haves: [C], multiAck: 'multi_ack_detailed' }, spy);
    expect(calls).toEqual(['prefetch 2', `have ${B[0]}`, `have ${C[0]}`, 'prefetch 1', `have ${C[0]}`]);
  });

  it('v2: acknowledgments with ready, or NAK and no pack', async () => {
    const ready = await negotiateV2({ ...parseV2FetchArgs([]), ...base, haves: [B, C] }, oracle([B], true));
    expect(ready).toMatchObject({ lines: ['acknowledgments', `ACK ${B}`, 'ready'], sendPack: true });
    const none = await negotiateV2({ ...parseV2FetchArgs([]), ...base, haves: [C] }, oracle([], false));
    expect(none).toMatchObject({ lines: ['acknowledgments', 'NAK'], sendPack: false });
  });
});

describe('receive-pack request', () => {
  it('parses commands, capabilities and push options; reports status', async () => {
    const request = await parseReceiveRequest(
      reader([
        dataPkt(`${ZERO} ${A} refs/heads/main\0report-status-v2 side-band-64k push-options atomic\n`),
        dataPkt(`${B} ${ZERO} refs/heads/old\n`),
        FLUSH,
        dataPkt('ci.skip\n'),
        FLUSH,
      ]),
    );
    expect(request.commands.map((c) => c.refName)).toEqual(['refs/heads/main', 'refs/heads/old']);
    expect(request.capabilities.has('atomic')).toBe(true);
    expect(request.pushOptions).toEqual(['ci.skip']);
    const report = encodeReportStatus(
      undefined,
      request.commands,
      new Map([['refs/heads/old', 'protected\nbranch']]),
    );
    const { packets } = decodePktLines(report);
    expect(packets.map((p) => (p.kind === 'data' ? p.payload.toString() : p.kind))).toEqual([
      'unpack ok\n',
      'ok refs/heads/main\n',
      'ng refs/heads/old protected branch\n',
      'flush',
    ]);
  });

  it.each([
    ['a short line', `${ZERO} ${A}\n`, 'push_command_invalid'],
    ['a bad id', `${ZERO} xyz refs/heads/a\n`, 'push_command_invalid'],
    ['a ref outside refs/', `${ZERO} ${A} HEAD\n`, 'push_ref_invalid'],
    ['a traversal', `${ZERO} ${A} refs/heads/../x\n`, 'push_ref_invalid'],
    ['a .lock ref', `${ZERO} ${A} refs/heads/x.lock\n`, 'push_ref_invalid'],
  ])('refuses %s', async (_name, line, code) => {
    expect(await codeOf(parseReceiveRequest(reader([dataPkt(line), FLUSH])))).toBe(code);
  });

  it('refuses a command list without its flush', async () => {
    expect(await codeOf(parseReceiveRequest(reader([dataPkt(`${ZERO} ${A} refs/heads/a\n`)])))).toBe(
      'push_request_truncated',
    );
  });

  it('validates ref names', () => {
    expect(isPushableRefName('refs/heads/feature/x-1')).toBe(true);
    for (const bad of [
      'refs/heads/a b',
      'refs/heads/.hidden',
      'refs/heads/a//b',
      'refs/heads/a@{1}',
      'refs/heads/x/',
    ]) {
      expect(isPushableRefName(bad)).toBe(false);
    }
  });
});

describe('hostile sizes', () => {
  it('bounds the number of haves a client may send', async () => {
    const packets: PktLine[] = [dataPkt(`want ${A}\n`), FLUSH];
    for (let i = 0; i <= MAX_HAVES; i++) packets.push(dataPkt(`have ${B}\n`));
    expect(await codeOf(parseV0FetchRequest(reader(packets)))).toBe('negotiation_too_large');
  });

  it('bounds push options and keeps reasons on one bounded line', async () => {
    const packets: PktLine[] = [dataPkt(`${ZERO} ${A} refs/heads/a\0push-options\n`), FLUSH];
    for (let i = 0; i <= 1000; i++) packets.push(dataPkt('x\n'));
    packets.push(FLUSH);
    expect(await codeOf(parseReceiveRequest(reader(packets)))).toBe('push_too_many_options');
    const report = encodeReportStatus(
      'boom\r\nnext',
      [{ oldId: A, newId: B, refName: 'refs/heads/a' }],
      new Map(),
    );
    expect(report.toString()).toContain('unpack boom next\n');
    expect(report.toString()).toContain('ng refs/heads/a unpacker error');
  });

  it('refuses pkt-lines with bad lengths', async () => {
    const chunks = [Buffer.from('0003'), Buffer.from('fff0'), Buffer.from('00')];
    for (const chunk of chunks) {
      const source = (async function* () {
        yield chunk;
      })();
      const lineReader = new PktLineReader(source);
      await expect(parseV0FetchRequest(() => lineReader.read())).rejects.toThrow();
    }
  });
});

describe('counts bounded besides the byte cap', () => {
  it('refuses more shallow lines in a push than MAX_PUSH_SHALLOWS', async () => {
    const packets: PktLine[] = [];
    for (let i = 0; i <= MAX_PUSH_SHALLOWS; i++) packets.push(dataPkt(`shallow ${A}\n`));
    packets.push(dataPkt(`${ZERO} ${A} refs/heads/a\0report-status\n`), FLUSH);
    expect(await codeOf(parseReceiveRequest(reader(packets)))).toBe('push_too_many_shallows');
  });

  it('refuses more v2 capability lines than MAX_V2_CAPABILITY_LINES', async () => {
    const packets: PktLine[] = [dataPkt('command=ls-refs\n')];
    for (let i = 0; i <= MAX_V2_CAPABILITY_LINES; i++) packets.push(dataPkt(`server-option-${i}=x\n`));
    packets.push(FLUSH);
    expect(await codeOf(readV2Command(reader(packets)))).toBe('v2_command_too_large');
  });

  it('refuses a v2 command section past the reader budget, a truncated one, and a bad one', async () => {
    const flood = (async function* () {
      yield Buffer.from('0014command=ls-refs\n0001');
      for (;;) yield Buffer.from('001bref-prefix refs/heads/\n');
    })();
    const budgeted = new PktLineReader(flood, { maxPacketBytes: 4096 });
    expect(await codeOf(readV2Command(() => budgeted.read()))).toBe('command_section_too_large');
    const cut = new PktLineReader(
      (async function* () {
        yield Buffer.from('0014command=ls-refs\n0001000aref-p');
      })(),
    );
    expect(await codeOf(readV2Command(() => cut.read()))).toBe('pkt_line_truncated');
    const unflushed = new PktLineReader(
      (async function* () {
        yield Buffer.from('0014command=ls-refs\n0001');
      })(),
    );
    expect(await codeOf(readV2Command(() => unflushed.read()))).toBe('v2_command_truncated');
  });
});

describe('side-band and misc', () => {
  it('splits data into 64k side-band packets', () => {
    const data = Buffer.alloc(SIDEBAND_64K_MAX_DATA + 10, 7);
    const { packets } = decodePktLines(encodeSideband(1, data));
    expect(packets).toHaveLength(2);
    expect(packets.every((p) => p.kind === 'data' && p.payload[0] === 1)).toBe(true);
    expect(encodeSideband(BAND_PROGRESS, Buffer.from('hi')).toString()).toBe('0007\u0002hi');
    expect(encodePackets([dataPkt('x')]).toString()).toBe('0005x');
  });

  it('parses capabilities and filters', () => {
    expect(parseCapabilities('a b=c  d').get('b')).toBe('c');
    expect(parseFilterSpec('tree:0')).toEqual({ kind: 'tree', depth: 0 });
    expect(parseFilterSpec('blob:limit=2m')).toEqual({ kind: 'blob:limit', limit: 2 * 1024 * 1024 });
    expect(() => parseFilterSpec('blob:limit=-1')).toThrow();
    expect(() => parseCapabilities('x'.repeat(9000))).toThrow();
  });
});
