/** `npm run docs`: rewrites the generated references (docs/configuration.md, docs/cli.md, schemas/*.schema.json). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../common/paths.js';
import { generatedDocs } from './docs.js';

for (const doc of generatedDocs()) {
  writeFileSync(join(projectRoot, doc.path), doc.content);
  process.stdout.write(`wrote ${doc.path}\n`);
}
