// How the file source gets its bytes: @ringmatch/native's FileWindows maps the file, so lines are
// scanned where the page cache holds them and read() makes no copy first (about a tenth of the
// source's CPU). Without the module, or for a file that cannot be mapped (a FIFO, a device), the
// reader read()s it as before.
import type { FileWindows } from './line-reader.js';
import { nativeExport } from './native-export.js';

export type FileWindowsClass = new (path: string) => FileWindows;

/** The native FileWindows class, or null when @ringmatch/native is not built or does not load. */
export async function loadFileWindows(): Promise<FileWindowsClass | null> {
  return (await nativeExport<FileWindowsClass>('FileWindows')).make;
}

/** `file`'s windows, or null when it cannot be mapped (then LineReader reads it, and owns its errors). */
export function openFileWindows(make: FileWindowsClass | null, file: string): FileWindows | null {
  if (make === null) return null;
  try {
    return new make(file);
  } catch {
    return null;
  }
}
