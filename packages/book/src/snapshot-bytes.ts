// The snapshot's byte primitives: a growable little-endian writer, a bounds-checked reader, and
// the typed error every malformed snapshot raises.

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

export class SnapshotWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private p = 0;

  private ensure(n: number): void {
    if (this.p + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.p + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.p));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  u32(x: number): void {
    this.ensure(4);
    this.view.setUint32(this.p, x, true);
    this.p += 4;
  }

  f64(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.p, x, true);
    this.p += 8;
  }

  /** The bytes written, as a copy of exactly their length. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.p);
  }
}

export class SnapshotReader {
  private readonly view: DataView;
  private p = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.p + n > this.bytes.length) throw new SnapshotError('truncated snapshot');
  }

  u32(): number {
    this.need(4);
    const x = this.view.getUint32(this.p, true);
    this.p += 4;
    return x;
  }

  f64(): number {
    this.need(8);
    const x = this.view.getFloat64(this.p, true);
    this.p += 8;
    return x;
  }

  done(): boolean {
    return this.p === this.bytes.length;
  }
}
