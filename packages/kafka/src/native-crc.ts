// kafkajs computes the CRC32C of every produced record batch in JavaScript (about 8% of the
// engine's publisher thread in a profile). Before kafkajs loads, put the hardware CRC32C of
// @node-rs/crc32 (already the WAL's) in its place: same function, same result; the broker
// verifies it, so a wrong value could not go unnoticed. Must be imported before 'kafkajs'.
import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';

const require = createRequire(import.meta.url);
/** Calls of the native CRC (tests check that kafkajs really uses it). */
export const nativeCrcCalls = { count: 0 };

try {
  const target = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js');
  if (!require.cache[target]) {
    const Module = require('node:module') as { new (id: string): NodeJS.Module };
    const shim = new Module(target);
    shim.filename = target;
    shim.loaded = true;
    shim.exports = (buffer: Buffer): number => {
      nativeCrcCalls.count++;
      return crc32c(buffer) >>> 0;
    };
    require.cache[target] = shim;
  }
} catch {
  // kafkajs moved its files: keep its own CRC (correct, only slower).
}
