/**
 * The import rules of ARCHITECTURE.md, checked by `npm run lint:imports` (part of `npm test`).
 * Paths are repository-relative; tests may reach across rooms, the shipped code may not.
 */
const TESTS = '(\\.test\\.ts$|/test-[^/]+\\.ts$|^test/)';
const CENTER_SIDE = '^(center|ticketing|broker)/';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Files import one another in one direction only.', from: {}, to: { circular: true } },
    {
      name: 'edge-not-to-center', severity: 'error', comment: 'The edge knows the centre only through the contract.',
      from: { path: '^edge/', pathNot: TESTS }, to: { path: CENTER_SIDE },
    },
    {
      name: 'center-not-to-edge', severity: 'error', comment: 'The centre knows the edge only through the contract, and runs no inference.',
      from: { path: CENTER_SIDE, pathNot: TESTS }, to: { path: '^(edge|detector)/' },
    },
    {
      name: 'detector-not-to-edge', severity: 'error', comment: 'The detector is a library the edge uses, not the other way round.',
      from: { path: '^detector/', pathNot: TESTS }, to: { path: '^edge/' },
    },
    {
      name: 'contract-and-common-are-leaves', severity: 'error', comment: 'Every role imports them; they import nothing else of the project.',
      from: { path: '^(contract|common)/', pathNot: TESTS }, to: { path: '^(?!(contract|common)/|node_modules/)', dependencyTypesNot: ['core'] },
    },
    {
      name: 'broker-only-to-contract-and-common', severity: 'error', comment: 'The embedded broker is infrastructure: no centre logic or config.',
      from: { path: '^broker/', pathNot: TESTS }, to: { path: '^(?!(broker|contract|common)/|node_modules/)', dependencyTypesNot: ['core'] },
    },
    {
      name: 'ticketing-uses-only-config-and-points-of-center', severity: 'error',
      comment: 'Ticketing is the domain: of the centre rooms it reads only the config and the pure metric points.',
      from: { path: '^ticketing/', pathNot: TESTS }, to: { path: '^center/', pathNot: '^center/(config|metrics/points)\\.ts$' },
    },
    {
      name: 'not-to-unresolvable', severity: 'error', comment: 'Every import resolves.',
      from: {}, to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|console/dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'] },
  },
};
