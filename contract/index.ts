export * from './topics.js';
export * from './fields.js';
export * from './zones.js';
export * from './payload.js';
export * from './messages.js';
