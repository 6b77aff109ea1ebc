/** `npm run bench:cameras`: only the cameras-per-box search of bench:edge (bench/cameras-per-box.ts). */
import { join } from 'node:path';
import { projectRoot } from '../common/paths.js';
import { camerasPerBox } from './cameras-per-box.js';

const lines = await camerasPerBox(join(projectRoot, 'examples', 'edge-vtest.yaml'), (line) => process.stdout.write(`${line}\n`));
process.stdout.write(`${lines.join('\n')}\n`);
