export { api, type Cursor } from './endpoints.js';
export { ApiError, currentAccessToken, onSessionLost, refreshSession } from './client.js';
export { putWithProgress } from './upload.js';
