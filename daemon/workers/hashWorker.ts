// Entry of dist/hashWorker.js: the result cache's content hashes (fileHash.ts) off the daemon's
// main thread, one at a time in arrival order.
import { serializeError } from '../api/errors';
import { serveThreadJobs } from '../util/threadJobs';
import { hashDescriptor } from '../results/fileHash';

serveThreadJobs(hashDescriptor, serializeError);
