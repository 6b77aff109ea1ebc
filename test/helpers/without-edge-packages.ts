/**
 * `node --import <this file>`: the process runs as in the centre image, where the edge-only
 * packages (docker/center-image.ts) are missing; importing one fails naming the importer.
 */
import { register } from 'node:module';

register('./without-edge-packages-hooks.js', import.meta.url);
