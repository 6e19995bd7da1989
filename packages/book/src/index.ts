export * from './engine.js';
export * from './generator.js';
export * from './sinks.js';
