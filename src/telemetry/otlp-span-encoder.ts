import type { AttributeValue, SpanEventRecord, SpanRecord } from './span-record.js';

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** Bytes a body starts with (a batch of 512 traced hits takes about 80 KiB; it grows). */
const INITIAL_BYTES = 64 * 1024;
/** Spare buffers kept: one per export in flight is enough. */
const MAX_SPARE = 4;

/** W3C sampled flag plus OTLP's "has is_remote" bit, as the OpenTelemetry SDK sets them. */
const SPAN_FLAGS = 0x101;

/** Lowercase and uppercase hex digits to their values. */
const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = NIBBLE[65 + i] = 10 + i;

/**
 * Encodes spans as an OTLP ExportTraceServiceRequest (opentelemetry-proto collector/trace/v1,
 * protobuf wire format) straight from SpanRecords, in one pass over one reused buffer. The
 * resource and scope are encoded once. This replaces SpanRecord -> SDK ReadableSpan -> the
 * SDK's two-pass serializer, which with the objects and garbage it made cost 3-4 µs of
 * the export thread per traced hit (profiled on the bench machine); the thread shares the
 * server's core, so every microsecond here is one the HTTP front end does not get.
 */
export class OtlpSpanEncoder {
  #buffer: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  #pos = 0;
  /** Buffers of sent bodies, written over by the next encodes (fresh memory page-faults). */
  readonly #spare: Buffer[] = [];
  readonly #resourceField: Buffer;
  readonly #scopeField: Buffer;

  constructor(resource: Record<string, AttributeValue>, scopeName: string) {
    this.#tag(1, LEN);
    const start = this.#begin(2);
    this.#attributes(1, resource);
    this.#end(start, 2);
    this.#resourceField = this.#take();

    this.#tag(1, LEN);
    const scope = this.#begin(1);
    this.#tag(1, LEN);
    this.#string(scopeName);
    this.#end(scope, 1);
    this.#scopeField = this.#take();
  }

  /**
   * One request body holding `spans`, all of this encoder's resource and scope. Give it back
   * with `recycle` once it has been sent.
   */
  encode(spans: readonly SpanRecord[]): Buffer {
    this.#buffer = this.#spare.pop() ?? Buffer.allocUnsafe(INITIAL_BYTES);
    this.#pos = 0;
    this.#tag(1, LEN);
    const resourceSpans = this.#begin(5);
    this.#raw(this.#resourceField);
    this.#tag(2, LEN);
    const scopeSpans = this.#begin(5);
    this.#raw(this.#scopeField);
    for (const span of spans) {
      this.#tag(2, LEN);
      this.#span(span);
    }
    this.#end(scopeSpans, 5);
    this.#end(resourceSpans, 5);
    return this.#buffer.subarray(0, this.#pos);
  }

  /** A body `encode` returned, no longer needed: its memory is reused. */
  recycle(body: Buffer): void {
    if (this.#spare.length >= MAX_SPARE) return;
    this.#spare.push(
      Buffer.from(body.buffer, body.byteOffset, body.buffer.byteLength - body.byteOffset),
    );
  }

  #span(span: SpanRecord): void {
    const start = this.#begin(2);
    this.#tag(1, LEN);
    this.#hex(span.traceId, 16);
    this.#tag(2, LEN);
    this.#hex(span.spanId, 8);
    if (span.parentSpanId !== null) {
      this.#tag(4, LEN);
      this.#hex(span.parentSpanId, 8);
    }
    this.#tag(5, LEN);
    this.#string(span.name);
    // OTLP's SpanKind counts from UNSPECIFIED = 0; the API's from INTERNAL = 0.
    this.#tag(6, VARINT);
    this.#varint(span.kind + 1);
    this.#tag(7, FIXED64);
    this.#nanos(span.startMs);
    this.#tag(8, FIXED64);
    this.#nanos(Math.max(span.endMs, span.startMs));
    this.#attributes(9, span.attributes);
    if (span.events !== undefined) {
      for (const event of span.events) {
        this.#tag(11, LEN);
        this.#event(event);
      }
    }

    this.#tag(15, LEN);
    const status = this.#begin(1);
    if (span.statusMessage !== undefined) {
      this.#tag(2, LEN);
      this.#string(span.statusMessage);
    }
    if (span.status !== 0) {
      this.#tag(3, VARINT);
      this.#varint(span.status);
    }
    this.#end(status, 1);

    this.#tag(16, FIXED32);
    this.#fixed32(SPAN_FLAGS);
    this.#end(start, 2);
  }

  #event(event: SpanEventRecord): void {
    const start = this.#begin(2);
    this.#tag(1, FIXED64);
    this.#nanos(event.timeMs);
    this.#tag(2, LEN);
    this.#string(event.name);
    this.#attributes(3, event.attributes);
    this.#end(start, 2);
  }

  /** Repeated KeyValue in field `field`. */
  #attributes(field: number, attributes: Record<string, AttributeValue>): void {
    for (const key in attributes) {
      const value = attributes[key] as AttributeValue;
      this.#tag(field, LEN);
      const pair = this.#begin(1);
      this.#tag(1, LEN);
      this.#string(key);
      this.#tag(2, LEN);
      const any = this.#begin(1);
      this.#anyValue(value);
      this.#end(any, 1);
      this.#end(pair, 1);
    }
  }

  /** An AnyValue's field, as the SDK chooses it: integers in int64 range as int, else double. */
  #anyValue(value: AttributeValue): void {
    if (typeof value === 'string') {
      this.#tag(1, LEN);
      this.#string(value);
    } else if (typeof value === 'boolean') {
      this.#tag(2, VARINT);
      this.#varint(value ? 1 : 0);
    } else if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
      this.#tag(3, VARINT);
      this.#int64(value);
    } else {
      this.#tag(4, FIXED64);
      this.#ensure(8);
      this.#pos = this.#buffer.writeDoubleLE(value, this.#pos);
    }
  }

  #tag(field: number, wireType: number): void {
    this.#varint((field << 3) | wireType);
  }

  /** Reserves `reserve` bytes for the length of a message that starts here. */
  #begin(reserve: number): number {
    this.#ensure(reserve);
    const start = this.#pos;
    this.#pos += reserve;
    return start;
  }

  /** Writes the length of the message begun at `start`, moving it if the guess was wrong. */
  #end(start: number, reserve: number): void {
    const length = this.#pos - start - reserve;
    if (reserve === 1 && length < 0x80) {
      this.#buffer[start] = length;
      return;
    }
    if (reserve === 2 && length >= 0x80 && length < 0x4000) {
      this.#buffer[start] = (length & 0x7f) | 0x80;
      this.#buffer[start + 1] = length >>> 7;
      return;
    }
    const size = varintSize(length);
    if (size !== reserve) {
      this.#ensure(size - reserve);
      this.#buffer.copyWithin(start + size, start + reserve, this.#pos);
      this.#pos += size - reserve;
    }
    const end = this.#pos;
    this.#pos = start;
    this.#varint(length);
    this.#pos = end;
  }

  #varint(value: number): void {
    this.#ensure(10);
    const buffer = this.#buffer;
    let pos = this.#pos;
    if (value < 0x80) {
      buffer[pos] = value;
      this.#pos = pos + 1;
      return;
    }
    while (value > 0x7f) {
      buffer[pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[pos++] = value;
    this.#pos = pos;
  }

  /** An int64 varint: negative values take ten bytes, as two's complement. */
  #int64(value: number): void {
    if (value >= 0) {
      this.#varint(value);
      return;
    }
    this.#ensure(10);
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest > 0x7fn) {
      this.#buffer[this.#pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.#buffer[this.#pos++] = Number(rest);
  }

  /** Four little-endian bytes of an unsigned 32-bit value (a byte store keeps the low 8 bits). */
  #fixed32(value: number): void {
    this.#ensure(4);
    const buffer = this.#buffer;
    const pos = this.#pos;
    buffer[pos] = value;
    buffer[pos + 1] = value >>> 8;
    buffer[pos + 2] = value >>> 16;
    buffer[pos + 3] = value >>> 24;
    this.#pos = pos + 4;
  }

  /** Epoch milliseconds (with a fraction) as fixed64 nanoseconds, exactly, without BigInt. */
  #nanos(epochMs: number): void {
    const wholeMs = Math.floor(epochMs);
    const fraction = Math.round((epochMs - wholeMs) * 1e6);
    // wholeMs * 1e6 overflows 2^53: split wholeMs at 16 bits and carry by hand (no `%`: on
    // doubles it is fmod, the slowest step here when profiled).
    const msHigh = Math.floor(wholeMs / 0x10000);
    const high = msHigh * 1e6;
    const highHigh = Math.floor(high / 0x10000);
    const low = (high - highHigh * 0x10000) * 0x10000 + (wholeMs - msHigh * 0x10000) * 1e6;
    const lowWithFraction = low + fraction;
    const carry = Math.floor(lowWithFraction / 0x100000000);
    this.#fixed32(lowWithFraction - carry * 0x100000000);
    this.#fixed32(highHigh + carry);
  }

  /** A length-prefixed string; short ASCII (most keys and values) is copied in JavaScript. */
  #string(value: string): void {
    const length = value.length;
    if (length < 0x80) {
      this.#ensure(length + 1);
      const buffer = this.#buffer;
      const start = this.#pos + 1;
      let i = 0;
      while (i < length) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[start + i++] = code;
      }
      if (i === length) {
        buffer[this.#pos] = length;
        this.#pos = start + length;
        return;
      }
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.#varint(bytes);
    this.#ensure(bytes);
    this.#pos += this.#buffer.write(value, this.#pos, 'utf8');
  }

  /** Hex trace and span ids as the bytes they spell. */
  #hex(hex: string, bytes: number): void {
    this.#ensure(bytes + 1);
    const buffer = this.#buffer;
    let pos = this.#pos;
    buffer[pos++] = bytes;
    for (let i = 0; i < bytes * 2; i += 2) {
      const high = NIBBLE[hex.charCodeAt(i) & 0x7f] as number;
      buffer[pos++] = (high << 4) | (NIBBLE[hex.charCodeAt(i + 1) & 0x7f] as number);
    }
    this.#pos = pos;
  }

  #raw(bytes: Buffer): void {
    this.#ensure(bytes.length);
    bytes.copy(this.#buffer, this.#pos);
    this.#pos += bytes.length;
  }

  #ensure(bytes: number): void {
    if (this.#pos + bytes <= this.#buffer.length) return;

    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#pos + bytes));
    this.#buffer.copy(grown, 0, 0, this.#pos);
    this.#buffer = grown;
  }

  /** A copy of what was written, and a fresh start (for the constructor's fixed parts). */
  #take(): Buffer {
    const bytes = Buffer.from(this.#buffer.subarray(0, this.#pos));
    this.#pos = 0;
    return bytes;
  }
}

function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}
