// Entry of dist/scoreWorker.js: scores (eval/score.ts) off the daemon's main thread, one job at a
// time in arrival order; errors go back as plain objects with their protocol code.
import { serializeError } from '../api/errors';
import { serveThreadJobs } from '../util/threadJobs';
import { scoreBytes } from '../eval/score';

serveThreadJobs(scoreBytes, serializeError);
