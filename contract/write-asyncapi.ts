import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../common/paths.js';
import { renderAsyncApi } from './asyncapi.js';

const out = join(projectRoot, 'contract', 'asyncapi.yaml');
writeFileSync(out, renderAsyncApi());
console.log(`wrote ${out}`);
