// One Kafka message in, commands out (and back): the wire format's entry points, which pick the
// codec (JSON or binary) and turn decode failures into errors or Invalid commands.
import { encodeBinary, decodeBinaryInto } from './binary-codec.js';
import { DecodeError, invalidCommand, type DecodeOptions, type Emit } from './decoding.js';
import { commandFromJson, jsonItems, parseJsonBytes, recoverJsonIds } from './json-decode.js';
import { commandToJson } from './json-encode.js';
import { JsonCommandScanner } from './json-scanner.js';
import type { SymbolTable } from './symbols.js';
import { Field, Reason, createCommand, type Command } from './types.js';

export type WireFormat = 'json' | 'binary';

const utf8Enc = new TextEncoder();
/** This thread's fast JSON scanner, for the functions below (the scan is synchronous: no reentry). */
const scanner = new JsonCommandScanner();

/**
 * Decodes one flat JSON command object from `bytes` into `into` without JSON.parse when it is
 * plainly valid (json-scanner.ts); false when the general path must decide (the command is then
 * unspecified). A true result equals `commandFromJson(JSON.parse(text), into, opts)`. The message
 * is bytes[from, to): a reader holding many lines in one buffer makes no view per line.
 */
export function decodeJsonCommandFast(bytes: Uint8Array, into: Command, opts?: DecodeOptions, from = 0, to = bytes.length): boolean {
  return scanner.scan(bytes, into, opts, from, to);
}

/**
 * Decodes one Kafka message (one command or a batch). Throws only DecodeError (on the first bad
 * command; `error.index` says which).
 */
export function decodeMessage(bytes: Uint8Array, format: WireFormat = 'json', opts?: DecodeOptions): Command[] {
  try {
    if (format === 'binary') {
      const out: Command[] = [];
      decodeBinaryInto(bytes, (c) => out.push(c), opts, false);
      return out;
    }
    const items = jsonItems(parseJsonBytes(bytes), opts);
    const out: Command[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) out[i] = commandFromJson(items[i], createCommand(), opts, i);
    return out;
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    // Defensive: anything unexpected is still reported as the typed error.
    throw new DecodeError(Reason.Malformed, Field.Message, 0, String((e as Error)?.message ?? e).slice(0, 80));
  }
}

/**
 * Like decodeMessage but never throws: each command that fails to decode becomes an `Invalid`
 * command (reason, field, recovered ids, source position) in its place; a message that cannot be
 * split into commands at all becomes a single `Invalid` command. Nothing is dropped.
 */
export function decodeMessageLenient(bytes: Uint8Array, format: WireFormat = 'json', opts?: DecodeOptions): Command[] {
  const out: Command[] = [];
  decodeMessageEach(bytes, format, opts, null, (c) => out.push(c));
  return out;
}

/**
 * decodeMessageLenient without the array: each command (or `Invalid` command) goes to `emit`, in
 * order; returns how many. With a `scratch` command, decoded commands are written into it and
 * it is passed to every `emit` call (valid only during the call: copy what you keep), so the
 * hot path allocates no command objects (the Kafka poller writes each straight into a slot).
 * `Invalid` commands are always fresh objects.
 */
export function decodeMessageEach(bytes: Uint8Array, format: WireFormat, opts: DecodeOptions | undefined, scratch: Command | null, emit: Emit): number {
  const partition = opts?.sourceStream ?? -1;
  const offset = opts?.sourcePosition ?? -1;
  let count = 0;
  const counted: Emit = (c) => {
    count++;
    emit(c);
  };
  try {
    if (format === 'binary') {
      try {
        decodeBinaryInto(bytes, counted, opts, true, scratch ?? undefined);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e; // from emit: not a decode error
        // Truncated / trailing / header errors: keep what decoded, then one Invalid for the rest.
        counted(invalidCommand(e, partition, offset));
      }
      return count;
    }
    if (scratch !== null && scanner.scan(bytes, scratch, opts)) {
      counted(scratch);
      return count;
    }
    const items = jsonItems(parseJsonBytes(bytes), opts);
    for (let i = 0; i < items.length; i++) {
      let c: Command;
      try {
        c = commandFromJson(items[i], scratch ?? createCommand(), opts, i);
      } catch (e) {
        c = invalidCommand(e, partition, offset, recoverJsonIds(items[i], opts));
      }
      counted(c);
    }
    return count;
  } catch (e) {
    if (count > 0) throw e; // an emit failed: not a decode error
    counted(invalidCommand(e, partition, offset));
    return count;
  }
}

/** Encodes commands as one Kafka message: JSON (a single object, or an array for a batch) or binary. */
export function encodeMessage(cmds: Command | readonly Command[], format: WireFormat = 'json', symbols?: SymbolTable): Uint8Array {
  const list = Array.isArray(cmds) ? (cmds as readonly Command[]) : [cmds as Command];
  if (format === 'binary') return encodeBinary(list);
  if (list.length === 1 && !Array.isArray(cmds)) return utf8Enc.encode(commandToJson(list[0]!, symbols));
  return utf8Enc.encode(`[${list.map((c) => commandToJson(c, symbols)).join(',')}]`);
}
