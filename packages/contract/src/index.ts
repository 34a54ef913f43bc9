export * from './common.js';
export * from './media.js';
export * from './users.js';
export * from './auth.js';
export * from './posts.js';
export * from './discovery.js';
export * from './engagement.js';
export * from './notifications.js';
