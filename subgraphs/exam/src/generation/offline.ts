export { OfflineGenerator } from './offline/index.ts';
