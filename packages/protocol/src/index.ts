export * from './types.js';
export * from './slot.js';
export * from './symbols.js';
export * from './wire.js';
export * from './output.js';
