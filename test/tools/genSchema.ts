// `npm run gen:schema`: writes the generated settings (test/helpers/packageSettings.ts) into
// package.json. Run it after changing daemon/api/modeSchema.ts or daemon/api/constants.ts.
import * as fs from 'node:fs';
import { formatPackageJson, packageJsonPath, readPackageJson, withGeneratedSettings } from '../helpers/packageSettings';

const before = fs.readFileSync(packageJsonPath(), 'utf8');
const after = formatPackageJson(withGeneratedSettings(readPackageJson()));
if (after === before) console.log('package.json: the settings already match the schema');
else {
  fs.writeFileSync(packageJsonPath(), after);
  console.log('package.json: settings regenerated from daemon/api/modeSchema.ts and daemon/api/constants.ts');
}
