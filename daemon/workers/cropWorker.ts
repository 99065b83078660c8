// Entry of dist/cropWorker.js: seglens/displayCrop's decoding and cropping (engine/pipeline/display.ts) off the
// daemon's main thread, so a 64-megapixel TIFF never holds up status or cancellations.
import { serializeError } from '../api/errors';
import { serveThreadJobs } from '../util/threadJobs';
import { cropDisplayImage } from '../engine/pipeline/display';

serveThreadJobs(cropDisplayImage, serializeError);
