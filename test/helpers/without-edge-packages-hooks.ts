/** Module resolution hooks for without-edge-packages.ts (they run on Node's loader thread). */
import { isEdgeOnly } from '../../docker/center-image.js';

interface ResolveContext {
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<unknown>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<unknown> {
  if (isEdgeOnly(specifier)) {
    throw new Error(`${specifier} is not in the centre image (docker/center-image.ts), but ${context.parentURL ?? 'the entry point'} imports it`);
  }
  return next(specifier, context);
}
